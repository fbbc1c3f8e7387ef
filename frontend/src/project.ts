import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import type { Json } from './api/client';
import { projectQuery } from './queries';
import { useRole, type Role } from './session';

export type Project = Json<'getProject'>;

export function useProjectId(): string {
  const { projectId } = useParams();
  if (!projectId) throw new Error('no project in the URL');
  return projectId;
}

export function useProject(projectId: string | undefined) {
  return useQuery(projectQuery(projectId));
}

/** The current project and the caller's role in its organization. */
export function useProjectAndRole(): { projectId: string; project: ReturnType<typeof useProject>; role: Role | null } {
  const projectId = useProjectId();
  const project = useProject(projectId);
  const role = useRole(project.data?.organization_id);
  return { projectId, project, role };
}
