import { Link, Route, Switch, useLocation } from "wouter";
import { KeyPrompt } from "./auth";
import { JobDetailPage } from "./pages/JobDetail";
import { JobsPage } from "./pages/Jobs";
import { MissionControl } from "./pages/MissionControl";
import { WorkersPage } from "./pages/Workers";
import { useStreamState } from "./stream";

const NAV = [
  { href: "/", label: "Mission Control" },
  { href: "/jobs", label: "Jobs" },
  { href: "/workers", label: "Workers" },
] as const;

function Nav() {
  const [location] = useLocation();
  const { state } = useStreamState();
  const current = (href: string) => (href === "/" ? location === "/" : location.startsWith(href));
  return (
    <header className="topbar">
      <span className="brand">cortex</span>
      <nav aria-label="Main">
        <ul>
          {NAV.map((n) => (
            <li key={n.href}>
              <Link href={n.href} aria-current={current(n.href) ? "page" : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <output className={`live live-${state}`} aria-live="polite" data-testid="stream-state">
        {state === "live" ? "live" : state === "connecting" ? "connecting…" : "reconnecting…"}
      </output>
    </header>
  );
}

export function App() {
  return (
    <>
      <Nav />
      <main>
        <Switch>
          <Route path="/" component={MissionControl} />
          <Route path="/jobs" component={JobsPage} />
          <Route path="/jobs/:id">{(p) => <JobDetailPage id={decodeURIComponent(p.id)} />}</Route>
          <Route path="/workers" component={WorkersPage} />
          <Route>
            <h1>Not found</h1>
            <p>
              No page here. <Link href="/">Go to Mission Control</Link>.
            </p>
          </Route>
        </Switch>
      </main>
      <KeyPrompt />
    </>
  );
}
