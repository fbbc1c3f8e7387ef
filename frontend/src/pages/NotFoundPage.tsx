import { Link as RouterLink } from 'react-router';
import { PageHeader } from '../components/PageHeader';

export default function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is nothing at this address. <RouterLink to="/projects">Go to your projects</RouterLink>.
      </p>
    </>
  );
}
