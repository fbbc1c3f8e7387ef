// facebook-nodejs-business-sdk ships Flow types only. These are the parts Tributary uses, as the installed
// build (24.x, src/api.js, cursor.js, abstract-crud-object.js) defines them.
declare module 'facebook-nodejs-business-sdk' {
  export class FacebookAdsApi {
    static readonly GRAPH: string;
    static readonly VERSION: string;
    static readonly SDK_VERSION: string;
    constructor(accessToken: string, locale?: string, crashLog?: boolean);
    static init(accessToken: string, locale?: string, crashLog?: boolean): FacebookAdsApi;
    accessToken: string;
    setShowHeader(flag: boolean): FacebookAdsApi;
    call(method: string, path: string | string[], params?: Record<string, unknown>): Promise<unknown>;
  }

  export class AbstractCrudObject {
    constructor(id?: string | null, data?: Record<string, unknown>, parentId?: string, api?: FacebookAdsApi);
    id?: string;
    /** changes since construction or the last read(): fields a read() returned are not in it */
    exportData(): Record<string, unknown>;
    /** every field the object holds, including those a read() returned */
    exportAllData(): Record<string, unknown>;
    read(fields: string[], params?: Record<string, unknown>): Promise<this>;
  }

  /** An Array of the edge's objects for the current page, plus the SDK's own paging state. */
  export interface Cursor<T = AbstractCrudObject> extends Array<T> {
    paging:
      | { cursors?: { before?: string; after?: string }; next?: string | string[]; previous?: string; params?: unknown }
      | undefined;
    summary?: unknown;
    headers?: Record<string, string | undefined>;
    hasNext(): boolean;
    next(): Promise<Cursor<T>>;
  }

  export class AdAccount extends AbstractCrudObject {
    getInsights(fields: string[], params?: Record<string, unknown>, fetchFirstPage?: true): Promise<Cursor>;
    getInsightsAsync(fields: string[], params?: Record<string, unknown>): Promise<AdReportRun>;
  }
  export class AdReportRun extends AbstractCrudObject {
    get(fields: string[], params?: Record<string, unknown>): Promise<AdReportRun>;
    getInsights(fields: string[], params?: Record<string, unknown>, fetchFirstPage?: true): Promise<Cursor>;
  }
  export class User extends AbstractCrudObject {
    getAdAccounts(fields: string[], params?: Record<string, unknown>, fetchFirstPage?: true): Promise<Cursor>;
    getAccounts(fields: string[], params?: Record<string, unknown>, fetchFirstPage?: true): Promise<Cursor>;
  }
  export class IGUser extends AbstractCrudObject {
    getInsights(fields: string[], params?: Record<string, unknown>, fetchFirstPage?: true): Promise<Cursor>;
    getMedia(fields: string[], params?: Record<string, unknown>, fetchFirstPage?: true): Promise<Cursor>;
  }
  export class IGMedia extends AbstractCrudObject {
    getInsights(fields: string[], params?: Record<string, unknown>, fetchFirstPage?: true): Promise<Cursor>;
  }
}
