// Projects: CRUD, the summary card and the activity feed. Reads need any role; changes need owner/admin.
import { sql, type Selectable } from 'kysely';
import type { ProjectsTable } from '@tributary/shared/db/schema';
import { AuthorizationFailedError, NotFoundError } from '@tributary/shared/domain/errors';
import { atLeast } from '@tributary/shared/identity/access';
import { httpHandler } from '@tributary/shared/http/http-handler';
import { projectHandler } from '@tributary/shared/http/project-scope';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import type { ApiDeps } from '../api-deps';
import { writeAudit } from '../audit';
import { iso } from '../common.schemas';
import { conflictOnUnique } from '../db-errors';
import {
  createProjectRoute,
  deleteProjectRoute,
  getProjectRoute,
  listProjectsRoute,
  projectActivityRoute,
  projectSummaryRoute,
  updateProjectRoute,
} from './project.routes';
import type { Project } from './project.schemas';

export function toProject(row: Selectable<ProjectsTable>): Project {
  return {
    id: row.id,
    organization_id: row.organizationId,
    name: row.name,
    description: row.description,
    is_active: row.isActive,
    reporting_currency: row.reportingCurrency,
    timezone: row.timezone,
    hot_retention_days: row.hotRetentionDays,
    archive_retention_days: row.archiveRetentionDays,
    settings: row.settings,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

const req = (i: { requestId: string; sourceIp: string | undefined; userAgent: string | undefined }) => ({
  requestId: i.requestId,
  sourceIp: i.sourceIp,
  userAgent: i.userAgent,
});

export const makeListProjects = (deps: ApiDeps) =>
  httpHandler(
    listProjectsRoute,
    async ({ query, user }) => {
      const memberships = await deps.db.transaction({ userId: user.userId }, (trx) =>
        trx.selectFrom('memberships').select('organizationId').where('userId', '=', user.userId).execute(),
      );
      const orgIds = memberships
        .map((m) => m.organizationId)
        .filter((id) => !query.organization_id || id === query.organization_id);
      const projects: Project[] = [];
      // row-level security shows one organization per transaction; a user belongs to a handful at most
      for (const orgId of orgIds) {
        const rows = await deps.db.transaction({ orgId, userId: user.userId }, (trx) =>
          trx.selectFrom('projects').selectAll().orderBy('createdAt').execute(),
        );
        projects.push(...rows.map(toProject));
      }
      return { status: 200, body: { projects } };
    },
    deps,
  );

export const makeCreateProject = (deps: ApiDeps) =>
  httpHandler(
    createProjectRoute,
    async (input) => {
      const { body, user } = input;
      const memberships = await deps.db.transaction({ userId: user.userId }, (trx) =>
        trx
          .selectFrom('memberships')
          .innerJoin('organizations', 'organizations.id', 'memberships.organizationId')
          .select(['memberships.organizationId', 'memberships.role', 'organizations.isPersonal'])
          .where('memberships.userId', '=', user.userId)
          .execute(),
      );
      const target = body.organization_id
        ? memberships.find((m) => m.organizationId === body.organization_id)
        : (memberships.find((m) => m.isPersonal && m.role === 'owner') ??
          memberships.find((m) => atLeast(m.role, 'admin')));
      if (!target) throw new NotFoundError('Organization', body.organization_id);
      if (!atLeast(target.role, 'admin'))
        throw new AuthorizationFailedError(`The ${target.role} role cannot create projects`, { required: 'admin' });
      const orgId = target.organizationId;
      const row = await conflictOnUnique(
        deps.db.transaction({ orgId, userId: user.userId }, async (trx) => {
          const created = await trx
            .insertInto('projects')
            .values({
              organizationId: orgId,
              name: body.name,
              description: body.description ?? null,
              ...(body.is_active !== undefined ? { isActive: body.is_active } : {}),
              ...(body.reporting_currency ? { reportingCurrency: body.reporting_currency } : {}),
              ...(body.timezone ? { timezone: body.timezone } : {}),
              ...(body.hot_retention_days ? { hotRetentionDays: body.hot_retention_days } : {}),
              ...(body.archive_retention_days ? { archiveRetentionDays: body.archive_retention_days } : {}),
              settings: JSON.stringify(body.settings ?? {}),
              createdBy: user.userId,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          await writeAudit(trx, {
            organizationId: orgId,
            projectId: created.id,
            actorUserId: user.userId,
            action: 'project.created',
            targetType: 'project',
            targetId: created.id,
            details: { name: created.name },
            request: req(input),
          });
          return created;
        }),
        'A project with this name already exists in the organization',
      );
      return { status: 201, body: toProject(row) };
    },
    deps,
  );

export const makeGetProject = (deps: ApiDeps) =>
  projectHandler(
    getProjectRoute,
    async ({ params }, scope) => {
      const row = await scope.transaction((trx) =>
        trx.selectFrom('projects').selectAll().where('id', '=', params.project_id).executeTakeFirst(),
      );
      if (!row) throw new NotFoundError('Project', params.project_id);
      return { status: 200, body: toProject(row) };
    },
    deps,
  );

export const makeUpdateProject = (deps: ApiDeps) =>
  projectHandler(
    updateProjectRoute,
    async (input, scope) => {
      const { params, body, user } = input;
      const row = await conflictOnUnique(
        scope.transaction(async (trx) => {
          const updated = await trx
            .updateTable('projects')
            .set({
              ...(body.name !== undefined ? { name: body.name } : {}),
              ...(body.description !== undefined ? { description: body.description } : {}),
              ...(body.is_active !== undefined ? { isActive: body.is_active } : {}),
              ...(body.reporting_currency !== undefined ? { reportingCurrency: body.reporting_currency } : {}),
              ...(body.timezone !== undefined ? { timezone: body.timezone } : {}),
              ...(body.hot_retention_days !== undefined ? { hotRetentionDays: body.hot_retention_days } : {}),
              ...(body.archive_retention_days !== undefined
                ? { archiveRetentionDays: body.archive_retention_days }
                : {}),
              ...(body.settings !== undefined ? { settings: JSON.stringify(body.settings) } : {}),
            })
            .where('id', '=', params.project_id)
            .returningAll()
            .executeTakeFirst();
          if (!updated) throw new NotFoundError('Project', params.project_id);
          await writeAudit(trx, {
            organizationId: scope.organizationId,
            projectId: updated.id,
            actorUserId: user.userId,
            action: 'project.updated',
            targetType: 'project',
            targetId: updated.id,
            details: { fields: Object.keys(body) },
            request: req(input),
          });
          return updated;
        }),
        'A project with this name already exists in the organization',
      );
      return { status: 200, body: toProject(row) };
    },
    deps,
  );

export const makeDeleteProject = (deps: ApiDeps) =>
  projectHandler(
    deleteProjectRoute,
    async (input, scope) => {
      const { params, user } = input;
      const { secretRefs, dataSourceIds } = await scope.transaction(async (trx) => {
        const refs = await trx
          .selectFrom('credentials')
          .select('secretRef')
          .where('projectId', '=', params.project_id)
          .execute();
        const sources = await trx
          .selectFrom('dataSources')
          .select('id')
          .where('projectId', '=', params.project_id)
          .execute();
        const deleted = await trx.deleteFrom('projects').where('id', '=', params.project_id).executeTakeFirst();
        if (!deleted.numDeletedRows) throw new NotFoundError('Project', params.project_id);
        await writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'project.deleted',
          targetType: 'project',
          targetId: params.project_id,
          request: req(input),
        });
        return { secretRefs: refs.map((r) => r.secretRef), dataSourceIds: sources.map((s) => s.id) };
      });
      // the rows are gone (cascade); the secrets they referenced and the data sources' schedules go too
      for (const ref of secretRefs) await deps.secrets.delete(ref);
      for (const id of dataSourceIds) await deps.schedules.remove(id);
      return { status: 204 };
    },
    deps,
  );

export const makeProjectSummary = (deps: ApiDeps) =>
  projectHandler(
    projectSummaryRoute,
    async ({ params }, scope) => {
      const body = await scope.transaction(async (trx) => {
        const sources = await trx
          .selectFrom('dataSources')
          .select(['extractionStatus', 'isActive'])
          .where('projectId', '=', params.project_id)
          .execute();
        const byStatus: Record<string, number> = {};
        for (const s of sources) byStatus[s.extractionStatus] = (byStatus[s.extractionStatus] ?? 0) + 1;
        const last = await trx
          .selectFrom('extractionJobs')
          .select(['id', 'dataSourceId', 'status', 'completedAt', 'createdAt'])
          .where('projectId', '=', params.project_id)
          .orderBy('createdAt', 'desc')
          .limit(1)
          .executeTakeFirst();
        const rows = await trx
          .selectFrom('extractedData')
          .select(sql<string>`count(*)`.as('n'))
          .where('projectId', '=', params.project_id)
          .executeTakeFirstOrThrow();
        const spend = await trx
          .selectFrom('extractedData')
          .select(['platform', 'currency', sql<string>`coalesce(sum(cost), 0)::text`.as('cost')])
          .where('projectId', '=', params.project_id)
          .where('dataDate', '>=', sql<string>`current_date - 30`)
          .groupBy(['platform', 'currency'])
          .orderBy('platform')
          .execute();
        return {
          project_id: params.project_id,
          data_sources: {
            total: sources.length,
            active: sources.filter((s) => s.isActive).length,
            by_status: byStatus,
          },
          last_extraction: last
            ? {
                job_id: last.id,
                data_source_id: last.dataSourceId,
                status: last.status,
                completed_at: iso(last.completedAt),
                created_at: iso(last.createdAt),
              }
            : null,
          rows: Number(rows.n),
          spend_last_30_days: spend.map((s) => ({ platform: s.platform, currency: s.currency, cost: s.cost })),
        };
      });
      return { status: 200, body };
    },
    deps,
  );

export const makeProjectActivity = (deps: ApiDeps) =>
  projectHandler(
    projectActivityRoute,
    async ({ params, query }, scope) => {
      const body = await scope.transaction(async (trx) => {
        const total = await trx
          .selectFrom('auditLog')
          .select(sql<string>`count(*)`.as('n'))
          .where('projectId', '=', params.project_id)
          .executeTakeFirstOrThrow();
        const rows = await trx
          .selectFrom('auditLog')
          .selectAll()
          .where('projectId', '=', params.project_id)
          .orderBy('createdAt', 'desc')
          .orderBy('id', 'desc')
          .limit(query.page_size)
          .offset((query.page - 1) * query.page_size)
          .execute();
        return {
          entries: rows.map((r) => ({
            id: String(r.id),
            action: r.action,
            target_type: r.targetType,
            target_id: r.targetId,
            actor_user_id: r.actorUserId,
            actor_kind: r.actorKind,
            details: r.details,
            request_id: r.requestId,
            created_at: iso(r.createdAt),
          })),
          page: { page: query.page, page_size: query.page_size, total: Number(total.n) },
        };
      });
      return { status: 200, body };
    },
    deps,
  );

export function projectRoutes(deps: ApiDeps): BoundRoute[] {
  return [
    { route: listProjectsRoute, handler: makeListProjects(deps) },
    { route: createProjectRoute, handler: makeCreateProject(deps) },
    { route: getProjectRoute, handler: makeGetProject(deps) },
    { route: updateProjectRoute, handler: makeUpdateProject(deps) },
    { route: deleteProjectRoute, handler: makeDeleteProject(deps) },
    { route: projectSummaryRoute, handler: makeProjectSummary(deps) },
    { route: projectActivityRoute, handler: makeProjectActivity(deps) },
  ];
}
