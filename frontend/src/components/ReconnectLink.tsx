// The "reconnect" call to action wherever a failure needs one: straight to that connection with its reconnect
// action open, named by its label (from the project's connection list, a query other pages share).
import { useQuery } from '@tanstack/react-query';
import { Link as RouterLink } from 'react-router';
import { api, unwrap } from '../api/client';
import { connectionPath } from '../reconnect';

export function ReconnectLink(props: {
  projectId: string;
  credentialId: string | null | undefined;
  /** where to offer to go back after reconnecting (the run or the data source) */
  from?: string | null;
  /** just show the connection (e.g. to check its access) instead of opening its reconnect action */
  check?: boolean;
}) {
  const { projectId, credentialId, from, check } = props;
  const credentials = useQuery({
    queryKey: ['credentials', projectId],
    queryFn: () =>
      unwrap(api().GET('/api/v1/projects/{project_id}/credentials', { params: { path: { project_id: projectId } } })),
    enabled: Boolean(credentialId),
  });
  const verb = check ? 'Check' : 'Reconnect';
  if (!credentialId) return <RouterLink to={`/projects/${projectId}/credentials`}>{verb} the connection</RouterLink>;
  const label = credentials.data?.credentials.find((c) => c.id === credentialId)?.label;
  return (
    <RouterLink
      to={connectionPath(projectId, credentialId, { reconnect: !check, from })}
      data-testid={check ? 'check-connection-link' : 'reconnect-link'}
    >
      {verb} {label ? `“${label}”` : 'the connection'}
    </RouterLink>
  );
}
