import { type Key, useApp, useInput, useStdout } from "ink";
import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import type { WatchController } from "../controller.js";
import type { KeyPress } from "../model/state.js";
import { screenModel } from "../view/screen.js";
import { WatchScreen } from "./WatchScreen.js";

export interface WatchAppProps {
  controller: WatchController;
  /** Fixed size (tests); default: the terminal's, following resizes. */
  columns?: number;
  rows?: number;
}

export function toKeyPress(input: string, key: Key): KeyPress {
  return {
    input,
    upArrow: key.upArrow,
    downArrow: key.downArrow,
    leftArrow: key.leftArrow,
    rightArrow: key.rightArrow,
    pageUp: key.pageUp,
    pageDown: key.pageDown,
    home: key.home,
    end: key.end,
    return: key.return,
    escape: key.escape,
    backspace: key.backspace,
    delete: key.delete,
    ctrl: key.ctrl,
    meta: key.meta,
    tab: key.tab,
  };
}

function useTerminalSize(fixedColumns?: number, fixedRows?: number) {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => ({
    columns: fixedColumns ?? stdout.columns ?? 80,
    rows: fixedRows ?? stdout.rows ?? 24,
  }));
  useEffect(() => {
    const onResize = () =>
      setSize({ columns: fixedColumns ?? stdout.columns ?? 80, rows: fixedRows ?? stdout.rows ?? 24 });
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout, fixedColumns, fixedRows]);
  return size;
}

/** `cortex watch`: the controller's state on screen, keys into the controller. */
export function WatchApp({ controller, columns, rows }: WatchAppProps) {
  const state = useSyncExternalStore(controller.subscribe, controller.getState);
  const size = useTerminalSize(columns, rows);
  const { exit } = useApp();
  const model = useMemo(() => screenModel(state, size.columns, size.rows), [state, size.columns, size.rows]);

  useInput((input, key) => {
    controller.dispatch({
      type: "key",
      key: toKeyPress(input, key),
      view: { pageSize: model.pageSize, maxScroll: model.maxScroll },
    });
  });

  useEffect(() => {
    if (state.quit) exit();
  }, [state.quit, exit]);

  return <WatchScreen state={state} columns={size.columns} rows={size.rows} model={model} />;
}
