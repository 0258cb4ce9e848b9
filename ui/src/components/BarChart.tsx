// A plain SVG bar chart (no chart library): one bar per datum, drawn from a zero
// line so negative values (a margin below cost) hang below it. The values come
// from the core; the chart only scales them to pixels.

import { createUniqueId, For, Show } from "solid-js";

export interface BarDatum {
  label: string;
  value: number;
}

export interface BarBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface BarGeometry {
  bars: BarBox[];
  /** y of the zero line. */
  zeroY: number;
  /** The value range the plot spans (0 is always inside it). */
  min: number;
  max: number;
}

/**
 * Lays out bars in the plot box `[left, left+width] × [top, top+height]`.
 * Heights are proportional to |value| over the range max(0, …) − min(0, …);
 * a zero value is a bar of height 0 on the zero line. Bars are centred in equal
 * bands, at most `maxBarWidth` wide.
 */
export function barGeometry(
  values: readonly number[],
  plot: { left: number; top: number; width: number; height: number },
  maxBarWidth = 64,
): BarGeometry {
  const max = Math.max(0, ...values);
  const min = Math.min(0, ...values);
  const span = max - min || 1;
  const zeroY = plot.top + (plot.height * max) / span;
  const band = values.length > 0 ? plot.width / values.length : plot.width;
  // A lone bar stays a bar, not a wall.
  const barWidth = Math.min(band * 0.7, maxBarWidth);
  const bars = values.map((v, i) => {
    const h = (plot.height * Math.abs(v)) / span;
    return { x: plot.left + band * i + (band - barWidth) / 2, y: v >= 0 ? zeroY - h : zeroY, width: barWidth, height: h };
  });
  return { bars, zeroY, min, max };
}

export interface BarChartProps {
  title: string;
  data: readonly BarDatum[];
  /** Axis titles. */
  xLabel: string;
  yLabel: string;
  /** Formats a value for the axis and the tooltips (money.ts for amounts). */
  format?: (v: number) => string;
  width?: number;
  height?: number;
  testid?: string;
  /** Shown instead of the chart when there is nothing to draw. */
  emptyText?: string;
}

/** A label cut to `max` characters (the full one is in the bar's tooltip). */
function shorten(label: string, max: number): string {
  return label.length > max ? label.slice(0, max - 1) + "…" : label;
}

const MARGIN = { left: 72, right: 12, top: 28, bottom: 56 };

export function BarChart(props: BarChartProps) {
  const id = createUniqueId();
  const tid = () => props.testid ?? "bar-chart";
  const width = () => props.width ?? 640;
  const height = () => props.height ?? 260;
  const fmt = (v: number) => (props.format ?? String)(v);
  const plot = () => ({
    left: MARGIN.left,
    top: MARGIN.top,
    width: width() - MARGIN.left - MARGIN.right,
    height: height() - MARGIN.top - MARGIN.bottom,
  });
  const geo = () => barGeometry(props.data.map((d) => d.value), plot());
  // Label every bar when they fit, else every k-th.
  const labelEvery = () => Math.max(1, Math.ceil(props.data.length / 16));
  const ticks = () => {
    const g = geo();
    const t = [g.max, 0, g.min];
    return t.filter((v, i) => t.indexOf(v) === i);
  };
  const yOf = (v: number) => {
    const g = geo();
    const span = g.max - g.min || 1;
    return plot().top + (plot().height * (g.max - v)) / span;
  };
  return (
    <figure class="bar-chart" data-testid={tid()}>
      <Show
        when={props.data.length > 0}
        fallback={
          <p class="muted" data-testid={`${tid()}-empty`}>
            {props.emptyText ?? `${props.title}: no data for this range.`}
          </p>
        }
      >
        <svg
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          viewBox={`0 0 ${width()} ${height()}`}
          width={width()}
          height={height()}
          data-testid={`${tid()}-svg`}
        >
          <title id={`${id}-title`}>{props.title}</title>
          <desc id={`${id}-desc`}>
            {`${props.yLabel} by ${props.xLabel}: ` + props.data.map((d) => `${d.label} ${fmt(d.value)}`).join("; ")}
          </desc>
          <text class="chart-title" x={width() / 2} y={16} text-anchor="middle" data-testid={`${tid()}-title`}>
            {props.title}
          </text>
          {/* y axis with ticks at the top, zero and bottom of the range */}
          <line class="axis" x1={plot().left} y1={plot().top} x2={plot().left} y2={plot().top + plot().height} />
          <For each={ticks()}>
            {(v) => (
              <>
                <line class="tick" x1={plot().left - 4} y1={yOf(v)} x2={plot().left} y2={yOf(v)} />
                <text class="tick-label" x={plot().left - 6} y={yOf(v) + 4} text-anchor="end" data-testid={`${tid()}-tick`}>
                  {fmt(v)}
                </text>
              </>
            )}
          </For>
          <For each={props.data}>
            {(d, i) => {
              const box = () => geo().bars[i()];
              return (
                <g>
                  <rect
                    class="bar"
                    classList={{ negative: d.value < 0 }}
                    x={box().x}
                    y={box().y}
                    width={box().width}
                    height={box().height}
                    data-testid={`${tid()}-bar-${i()}`}
                    data-value={d.value}
                    data-label={d.label}
                  >
                    <title>{`${d.label}: ${fmt(d.value)}`}</title>
                  </rect>
                  <Show when={i() % labelEvery() === 0}>
                    <text
                      class="bar-label"
                      x={box().x + box().width / 2}
                      y={plot().top + plot().height + 14}
                      text-anchor="middle"
                    >
                      {shorten(d.label, Math.max(4, Math.floor((plot().width / props.data.length) * labelEvery() / 7)))}
                    </text>
                  </Show>
                </g>
              );
            }}
          </For>
          {/* the zero line (the x axis) drawn over the bars */}
          <line
            class="axis"
            x1={plot().left}
            y1={geo().zeroY}
            x2={plot().left + plot().width}
            y2={geo().zeroY}
            data-testid={`${tid()}-zero`}
          />
          <text class="axis-label" x={plot().left + plot().width / 2} y={height() - 8} text-anchor="middle" data-testid={`${tid()}-x-label`}>
            {props.xLabel}
          </text>
          <text
            class="axis-label"
            x={14}
            y={plot().top + plot().height / 2}
            text-anchor="middle"
            transform={`rotate(-90 14 ${plot().top + plot().height / 2})`}
            data-testid={`${tid()}-y-label`}
          >
            {props.yLabel}
          </text>
        </svg>
      </Show>
    </figure>
  );
}
