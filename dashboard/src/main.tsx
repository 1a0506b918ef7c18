import { StrictMode, useEffect, useSyncExternalStore } from "react";
import { createRoot } from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { Theme } from "@radix-ui/themes";
import "@radix-ui/themes/styles.css";
import "./styles.css";
import { router } from "./router";
import { ApiError, onSignedOut } from "./api/client";
import { getThemeChoice, onThemeChange, resolveTheme } from "./theme";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // A refusal (4xx) will not change by asking again; only network trouble and 5xx are retried.
      retry: (count, err) => count < 2 && !(err instanceof ApiError && err.status >= 400 && err.status < 500),
      refetchOnWindowFocus: false,
    },
  },
});

onSignedOut(() => {
  queryClient.clear();
  const here = router.state.location.href;
  void router.navigate({ to: "/signin", search: { next: here.startsWith("/signin") ? undefined : here } });
});

const dark = window.matchMedia("(prefers-color-scheme: dark)");

function App() {
  const choice = useSyncExternalStore(onThemeChange, getThemeChoice);
  const prefersDark = useSyncExternalStore(
    (cb) => (dark.addEventListener("change", cb), () => dark.removeEventListener("change", cb)),
    () => dark.matches,
  );
  const appearance = resolveTheme(choice, prefersDark);
  useEffect(() => {
    document.documentElement.dataset.theme = appearance;
  }, [appearance]);
  return (
    <Theme appearance={appearance} accentColor="indigo" grayColor="slate" radius="medium" scaling="95%">
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </Theme>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
