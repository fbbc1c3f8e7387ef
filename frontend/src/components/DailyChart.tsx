// A daily line chart, one line per series (platform). Loaded lazily with the pages that draw it.
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

const COLORS = ['#0b5cad', '#c2185b', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#5d4037', '#455a64'];

export interface DailyPoint {
  date: string;
  [series: string]: number | string;
}

export default function DailyChart({
  data,
  series,
  label,
  testId,
}: {
  data: DailyPoint[];
  series: string[];
  label: string;
  testId: string;
}) {
  return (
    <figure
      data-testid={testId}
      data-points={data.length}
      aria-label={label}
      style={{ margin: 0, width: '100%', height: 300 }}
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="date" minTickGap={24} />
          <YAxis width={64} />
          <Tooltip />
          <Legend />
          {series.map((s, i) => (
            <Line
              key={s}
              type="monotone"
              dataKey={s}
              stroke={COLORS[i % COLORS.length]}
              dot={false}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}
