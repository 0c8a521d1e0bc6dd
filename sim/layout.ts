// The one observation layout shared by every task, so one network serves them all. Slots a task
// does not use stay zero. Positions are in the env's own frame (table centre at the origin, z up,
// table top at z = 0). README.md shows this table; test/sim/layout.test.ts checks they agree.

export interface ObsField {
  name: string;
  offset: number;
  size: number;
  meaning: string;
  units: string;
}

export const OBS_FIELDS: readonly ObsField[] = [
  { name: 'tcp', offset: 0, size: 3, meaning: 'tool centre point (between the finger pads) x, y, z', units: 'm' },
  { name: 'tcpVel', offset: 3, size: 3, meaning: 'tool centre point velocity at the end of the control step', units: 'm/s' },
  { name: 'gripperGap', offset: 6, size: 1, meaning: 'distance between the finger pads', units: 'm' },
  { name: 'gripperGapVel', offset: 7, size: 1, meaning: 'rate of change of the gap', units: 'm/s' },
  { name: 'objectPos', offset: 8, size: 3, meaning: "the task's movable object, centre x, y, z (0 if none)", units: 'm' },
  { name: 'objectQuat', offset: 11, size: 4, meaning: 'object orientation quaternion x, y, z, w', units: '' },
  { name: 'objectLinvel', offset: 15, size: 3, meaning: 'object linear velocity', units: 'm/s' },
  { name: 'objectAngvel', offset: 18, size: 3, meaning: 'object angular velocity', units: 'rad/s' },
  { name: 'objectRelTcp', offset: 21, size: 3, meaning: 'object centre minus tool centre point', units: 'm' },
  { name: 'fixturePos', offset: 24, size: 3, meaning: "the task's fixture (e.g. the hole's floor centre; 0 if none)", units: 'm' },
  { name: 'timeFraction', offset: 27, size: 1, meaning: 'episode step / time limit', units: '' },
];

export const OBS_DIM = 28;
export const GOAL_DIM = 3;
export const ACTION_DIM = 4;
/** Metadata part of a task descriptor (see task.ts, metadataVector). */
export const METADATA_DIM = 8;

export const OBS = {
  tcp: 0,
  tcpVel: 3,
  gripperGap: 6,
  gripperGapVel: 7,
  objectPos: 8,
  objectQuat: 11,
  objectLinvel: 15,
  objectAngvel: 18,
  objectRelTcp: 21,
  fixturePos: 24,
  timeFraction: 27,
} as const;

/** The layout as a Markdown table (README.md embeds it; a test checks they agree). */
export function obsTableMarkdown(): string {
  const rows = OBS_FIELDS.map((f) => {
    const at = f.size === 1 ? `${f.offset}` : `${f.offset}-${f.offset + f.size - 1}`;
    return `| ${at} | \`${f.name}\` | ${f.meaning} | ${f.units || '-'} |`;
  });
  return ['| offset | field | meaning | units |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
