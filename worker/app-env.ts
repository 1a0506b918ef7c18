import type { Principal } from "./lib/roles";
import type { DocumentStore } from "./store/types";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
    /** The tenant's store for a database (REST uses "main"; Data API requests name theirs). */
    store: (database?: string) => DocumentStore;
  };
}
