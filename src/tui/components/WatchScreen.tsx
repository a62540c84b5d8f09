import { Box } from "ink";
import type { WatchState } from "../model/state.js";
import { type ScreenModel, screenModel } from "../view/screen.js";
import { Lines } from "./Lines.js";

export interface WatchScreenProps {
  state: WatchState;
  columns: number;
  rows: number;
  /** Precomputed model (the app computes it once for rendering and key handling). */
  model?: ScreenModel;
}

/** The screen for one state: header, then pools/jobs/events, a job's detail or the help, then the footer. */
export function WatchScreen({ state, columns, rows, model }: WatchScreenProps) {
  const m = model ?? screenModel(state, columns, rows);
  return (
    <Box flexDirection="column" width={columns}>
      <Header lines={m.header} />
      {m.pools && <Pools lines={m.pools} />}
      {m.jobs && <JobList lines={m.jobs} />}
      {m.log && <EventLog lines={m.log} />}
      {m.detail && <JobDetail lines={m.detail} />}
      {m.help && <HelpOverlay lines={m.help} />}
      <Footer lines={[m.footer]} />
    </Box>
  );
}

type SectionProps = { lines: ScreenModel["header"] };

export const Header = ({ lines }: SectionProps) => <Lines lines={lines} />;
export const Pools = ({ lines }: SectionProps) => <Lines lines={lines} />;
export const JobList = ({ lines }: SectionProps) => <Lines lines={lines} />;
export const EventLog = ({ lines }: SectionProps) => <Lines lines={lines} />;
export const JobDetail = ({ lines }: SectionProps) => <Lines lines={lines} />;
export const HelpOverlay = ({ lines }: SectionProps) => <Lines lines={lines} />;
export const Footer = ({ lines }: SectionProps) => <Lines lines={lines} />;
