// The one observation layout shared by every task, so one network serves them all. Slots a task
// does not use stay zero. Positions are in the env's own frame (table centre at the origin, z up,
// table top at z = 0). README.md shows this table; test/sim/layout.test.ts checks they agree.
//
// Version 2: offsets 0-27 are exactly those of version 1 (same fields, same meaning), so code that
// reads them keeps working; the second object and the fixture's orientation and joints follow.

export interface ObsField {
  name: string;
  offset: number;
  size: number;
  meaning: string;
  units: string;
}

/** Movable objects a task may have (one observation slot each). */
export const MAX_OBJECTS = 2;
/** Moving parts (each on one joint) a task's fixture may have. */
export const MAX_JOINTS = 2;

export const OBS_FIELDS: readonly ObsField[] = [
  { name: 'tcp', offset: 0, size: 3, meaning: 'tool centre point (between the finger pads) x, y, z', units: 'm' },
  { name: 'tcpVel', offset: 3, size: 3, meaning: 'tool centre point velocity at the end of the control step', units: 'm/s' },
  { name: 'gripperGap', offset: 6, size: 1, meaning: 'distance between the finger pads', units: 'm' },
  { name: 'gripperGapVel', offset: 7, size: 1, meaning: 'rate of change of the gap', units: 'm/s' },
  { name: 'objectPos', offset: 8, size: 3, meaning: "the task's first movable object, centre x, y, z (0 if none)", units: 'm' },
  { name: 'objectQuat', offset: 11, size: 4, meaning: 'object orientation quaternion x, y, z, w', units: '-' },
  { name: 'objectLinvel', offset: 15, size: 3, meaning: 'object linear velocity', units: 'm/s' },
  { name: 'objectAngvel', offset: 18, size: 3, meaning: 'object angular velocity', units: 'rad/s' },
  { name: 'objectRelTcp', offset: 21, size: 3, meaning: 'object centre minus tool centre point', units: 'm' },
  { name: 'fixturePos', offset: 24, size: 3, meaning: "the fixture's origin (e.g. the hole's floor centre; 0 if none)", units: 'm' },
  { name: 'timeFraction', offset: 27, size: 1, meaning: 'episode step / time limit', units: '-' },
  { name: 'object2Pos', offset: 28, size: 3, meaning: 'the second movable object, centre x, y, z (0 if none)', units: 'm' },
  { name: 'object2Quat', offset: 31, size: 4, meaning: 'second object orientation quaternion x, y, z, w', units: '-' },
  { name: 'object2Linvel', offset: 35, size: 3, meaning: 'second object linear velocity', units: 'm/s' },
  { name: 'object2Angvel', offset: 38, size: 3, meaning: 'second object angular velocity', units: 'rad/s' },
  { name: 'object2RelTcp', offset: 41, size: 3, meaning: 'second object centre minus tool centre point', units: 'm' },
  { name: 'fixtureQuat', offset: 44, size: 4, meaning: "the fixture's orientation quaternion x, y, z, w (a yaw about z; 0 if none)", units: '-' },
  { name: 'jointPos', offset: 48, size: 2, meaning: "each moving part's joint position: prismatic displacement along its axis, revolute angle about it (0 if none)", units: 'm or rad' },
  { name: 'jointVel', offset: 50, size: 2, meaning: "rate of change of each joint position over the control step", units: 'm/s or rad/s' },
];

export const OBS_DIM = 52;
export const GOAL_DIM = 3;
export const ACTION_DIM = 4;
/** Metadata part of a task descriptor (see task.ts, metadataVector). */
export const METADATA_DIM = 11;

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
  object2Pos: 28,
  object2Quat: 31,
  object2Linvel: 35,
  object2Angvel: 38,
  object2RelTcp: 41,
  fixtureQuat: 44,
  jointPos: 48,
  jointVel: 50,
} as const;

/** Offsets of each object's slot, by object index. */
export const OBJECT_SLOTS: readonly { pos: number; quat: number; linvel: number; angvel: number; relTcp: number }[] = [
  { pos: OBS.objectPos, quat: OBS.objectQuat, linvel: OBS.objectLinvel, angvel: OBS.objectAngvel, relTcp: OBS.objectRelTcp },
  { pos: OBS.object2Pos, quat: OBS.object2Quat, linvel: OBS.object2Linvel, angvel: OBS.object2Angvel, relTcp: OBS.object2RelTcp },
];

/** The layout as a Markdown table (README.md embeds it; a test checks they agree). */
export function obsTableMarkdown(): string {
  const rows = OBS_FIELDS.map((f) => {
    const at = f.size === 1 ? `${f.offset}` : `${f.offset}-${f.offset + f.size - 1}`;
    return `| ${at} | \`${f.name}\` | ${f.meaning} | ${f.units} |`;
  });
  return ['| offset | field | meaning | units |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
