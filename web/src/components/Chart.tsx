/** A uPlot time series; the chart is created once and fed new data on each render. */
import { useEffect, useRef } from "react";
import uPlot from "uplot";

export interface Series {
  label: string;
  stroke: string;
}

export function Chart(props: { title: string; series: Series[]; data: uPlot.AlignedData; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const { title, series, data, unit } = props;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the chart's shape is fixed for its life
  useEffect(() => {
    if (!box.current) return;
    const width = Math.max(300, box.current.clientWidth);
    plot.current = new uPlot(
      {
        width,
        height: 200,
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: true }))],
        axes: [{}, { label: unit }],
        scales: { x: { time: true } },
      },
      data,
      box.current,
    );
    return () => plot.current?.destroy();
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  // The largest value drawn, for tests and screen readers alike.
  const max = Math.max(
    0,
    ...data.slice(1).flatMap((ys) => Array.from(ys as ArrayLike<number | null>, (y) => y ?? 0)),
  );
  return (
    <figure className="chart" data-testid={`chart-${title}`} data-max={max}>
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title} chart, at most ${max} ${unit}`} />
    </figure>
  );
}
