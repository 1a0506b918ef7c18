import type { Principal } from "./lib/roles";
import type { DocumentStore } from "./store/types";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The stable error code of the response, when it is an error (for metrics). */
    errorCode?: string;
    principal: Principal;
    /** The database the request addresses (X-Docflare-Database, default "main"). */
    database: string;
    /** The tenant's store for a database (default: the addressed one; Data API requests name theirs). */
    store: (database?: string) => DocumentStore;
  };
}
