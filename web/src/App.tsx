import { Link, Route, Switch, useLocation } from "wouter";
import { KeyPrompt } from "./auth";
import { ApprovalsPage } from "./pages/Approvals";
import { ChatPage } from "./pages/Chat";
import { JobDetailPage } from "./pages/JobDetail";
import { JobsPage } from "./pages/Jobs";
import { MissionControl } from "./pages/MissionControl";
import { PolicyPage } from "./pages/Policy";
import { WorkersPage } from "./pages/Workers";
import { WorkflowPage } from "./pages/Workflow";
import { WorkflowsPage } from "./pages/Workflows";
import { useStreamState } from "./stream";

const NAV = [
  { href: "/", label: "Mission Control" },
  { href: "/jobs", label: "Jobs" },
  { href: "/workflows", label: "Workflows" },
  { href: "/approvals", label: "Approvals" },
  { href: "/chat", label: "Chat" },
  { href: "/workers", label: "Workers" },
  { href: "/policy", label: "Policy" },
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
          <Route path="/workflows" component={WorkflowsPage} />
          <Route path="/workflows/:id">{(p) => <WorkflowPage id={decodeURIComponent(p.id)} />}</Route>
          <Route path="/approvals" component={ApprovalsPage} />
          <Route path="/chat" component={ChatPage} />
          <Route path="/workers" component={WorkersPage} />
          <Route path="/policy" component={PolicyPage} />
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
