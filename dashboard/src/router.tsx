import {
  createRootRoute,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Outlet,
  redirect,
} from "@tanstack/react-router";
import { getSession } from "./session";
import { Layout } from "./components/layout";
import { ErrorState, NotFound } from "./components/states";

/** Every screen is a URL; screens load on demand so the first load is only the shell. */
/** Loads a screen's module on demand; typed loosely so screens may read the router's own types without a cycle. */
const screen = (load: () => Promise<unknown>) =>
  lazyRouteComponent(load as () => Promise<{ default: React.ComponentType }>);
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const pass = (s: Record<string, unknown>): Record<string, unknown> => s;

const root = createRootRoute({ component: Outlet, notFoundComponent: NotFound });

const signin = createRoute({
  getParentRoute: () => root,
  path: "/signin",
  validateSearch: (s: Record<string, unknown>) => ({ next: str(s.next) }),
  component: screen(() => import("./screens/signin")),
});

const app = createRoute({
  getParentRoute: () => root,
  id: "_app",
  beforeLoad: ({ location }) => {
    if (!getSession()) throw redirect({ to: "/signin", search: { next: location.href } });
  },
  component: Layout,
  errorComponent: ({ error }) => <ErrorState error={error} />,
});

type Search = Record<string, unknown>;
const tab = (s: Search) => ({ tab: str(s.tab) });
const status = (s: Search) => ({ status: str(s.status) });

const overview = createRoute({
  getParentRoute: () => app,
  path: "/",
  component: screen(() => import("./screens/overview")),
});
const collections = createRoute({
  getParentRoute: () => app,
  path: "/collections",
  component: screen(() => import("./screens/collections")),
});
const collection = createRoute({
  getParentRoute: () => app,
  path: "/collections/$name",
  validateSearch: tab,
  component: screen(() => import("./screens/collection")),
});
const documents = createRoute({
  getParentRoute: () => app,
  path: "/collections/$name/documents",
  validateSearch: pass,
  component: screen(() => import("./screens/documents")),
});
const aggregate = createRoute({
  getParentRoute: () => app,
  path: "/collections/$name/aggregate",
  validateSearch: pass,
  component: screen(() => import("./screens/aggregate")),
});
const importer = createRoute({
  getParentRoute: () => app,
  path: "/import",
  validateSearch: (s: Search) => ({ collection: str(s.collection) }),
  component: screen(() => import("./screens/import")),
});
const webhooks = createRoute({
  getParentRoute: () => app,
  path: "/webhooks",
  component: screen(() => import("./screens/webhooks")),
});
const webhook = createRoute({
  getParentRoute: () => app,
  path: "/webhooks/$id",
  validateSearch: status,
  component: screen(() => import("./screens/webhook")),
});
const scripts = createRoute({
  getParentRoute: () => app,
  path: "/scripts",
  component: screen(() => import("./screens/scripts")),
});
const script = createRoute({
  getParentRoute: () => app,
  path: "/scripts/$id",
  validateSearch: status,
  component: screen(() => import("./screens/script")),
});
const schedules = createRoute({
  getParentRoute: () => app,
  path: "/schedules",
  component: screen(() => import("./screens/schedules")),
});
const cluster = createRoute({
  getParentRoute: () => app,
  path: "/cluster",
  component: screen(() => import("./screens/cluster")),
});
const keys = createRoute({
  getParentRoute: () => app,
  path: "/keys",
  component: screen(() => import("./screens/keys")),
});
const roles = createRoute({
  getParentRoute: () => app,
  path: "/roles",
  component: screen(() => import("./screens/roles")),
});
const users = createRoute({
  getParentRoute: () => app,
  path: "/users",
  component: screen(() => import("./screens/users")),
});
const quotas = createRoute({
  getParentRoute: () => app,
  path: "/quotas",
  component: screen(() => import("./screens/quotas")),
});
const audit = createRoute({
  getParentRoute: () => app,
  path: "/audit",
  validateSearch: pass,
  component: screen(() => import("./screens/audit")),
});
const databases = createRoute({
  getParentRoute: () => app,
  path: "/databases",
  component: screen(() => import("./screens/databases")),
});
const migrations = createRoute({
  getParentRoute: () => app,
  path: "/migrations",
  component: screen(() => import("./screens/migrations")),
});
const settings = createRoute({
  getParentRoute: () => app,
  path: "/settings",
  component: screen(() => import("./screens/settings")),
});

const tree = root.addChildren([
  signin,
  app.addChildren([
    overview,
    collections,
    collection,
    documents,
    aggregate,
    importer,
    webhooks,
    webhook,
    scripts,
    script,
    schedules,
    cluster,
    keys,
    users,
    roles,
    quotas,
    audit,
    databases,
    migrations,
    settings,
  ]),
]);

export const router = createRouter({ routeTree: tree, defaultPreload: "intent", scrollRestoration: true });

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}
