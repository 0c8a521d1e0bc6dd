// sweep-into: sweep a puck into a goal frame at the far edge of the hand's reach (hockey).
//
// The goal frame is a static fixture of three low walls (2 cm tall): a back wall and two side
// walls around a mouth 11 cm wide and 8 cm deep, open toward the robot (-x at yaw 0). The puck
// (radius 2 cm, height 3 cm, 80 g) slides on the table; a closed gripper sweeps it in.
//
// Randomised at every reset: the frame's origin (the middle of its mouth's inside, the goal) at x
// in [0.22, 0.27] m, y in [-0.15, 0.15] m, its yaw in [-0.3, 0.3] rad; the puck at x in [-0.12,
// 0.08] m, y in [-0.15, 0.15] m, at least 15 cm from the goal (Meta-World's sweep-into keeps it 15
// cm away too).
//
// Achieved goal: the puck's centre. Desired goal: the middle of the frame's inside. Success: the
// puck's centre within 4 cm of it in the table plane, i.e. inside the frame: the mouth is 4 cm in
// front of the middle, and the walls keep the centre within 3.5 cm across and 2 cm behind it, so
// the whole inside counts, corners but for a few millimetres included (Meta-World allows 5 cm).
// Time limit 100 control steps (4 s). dense-v1: (reach + 2 place) / 3 as in push, 1 on success.
import { dist2, dist3 } from '../math.ts';
import type { FixturePartSpec, TaskDefinition, TaskState, Vec3 } from '../task.ts';
import { steer } from './steer.ts';

const TOLERANCE = 0.04;
const RADIUS = 0.02;
const HALF_HEIGHT = 0.015;
/** Half width of the mouth's inside (across) and depth of the inside (along the frame's +x). */
const MOUTH_HALF = 0.055;
const DEPTH = 0.08;
const WALL = 0.005; // half thickness
const WALL_Z = 0.01; // half height
/** Distance in front of the frame's middle of the line-up spot, for a puck whose path would miss the mouth. */
const LINE_UP = 0.1;

const wall = (halfExtents: Vec3, offset: Vec3): FixturePartSpec => ({ halfExtents, offset });

/** The puck's position in the frame's own axes: depth along its axis from the goal, and across. */
function inFrame(s: TaskState, p: ArrayLike<number>): [number, number] {
  const c = Math.cos(s.fixtureYaw);
  const sn = Math.sin(s.fixtureYaw);
  const dx = p[0] - s.goal[0];
  const dy = p[1] - s.goal[1];
  return [dx * c + dy * sn, -dx * sn + dy * c];
}

const sweepInto: TaskDefinition = {
  name: 'sweep-into',
  description:
    'Sweep a puck into a goal frame with three walls at the far edge of the reach. Frame at x in [0.22, 0.27] m, y in [-0.15, 0.15] m, yaw in [-0.3, 0.3] rad, its mouth 11 cm wide facing the robot; puck at x in [-0.12, 0.08] m, y in [-0.15, 0.15] m, at least 15 cm away; success when the puck centre is within 4 cm of the middle of the frame, inside it.',
  maxSteps: 100,
  metadata: { objectKind: 'puck', needsGrasp: false, usesFixture: true, goalInAir: false },
  object: { shape: 'cylinder', radius: RADIUS, halfHeight: HALF_HEIGHT, mass: 0.08, friction: 0.5, color: '#bf616a' },
  fixture: {
    color: '#e5e9f0',
    friction: 0.5,
    // Base frame: the origin is the middle of the inside; the mouth is at x = -DEPTH / 2.
    parts: [
      wall([WALL, MOUTH_HALF + 2 * WALL, WALL_Z], [DEPTH / 2 + WALL, 0, WALL_Z]), // back
      wall([DEPTH / 2, WALL, WALL_Z], [0, MOUTH_HALF + WALL, WALL_Z]), // sides
      wall([DEPTH / 2, WALL, WALL_Z], [0, -(MOUTH_HALF + WALL), WALL_Z]),
    ],
  },
  goalColor: '#bf616a',
  initializeEpisode(ctx) {
    const goal = ctx.samplePosition({ x: [0.22, 0.27], y: [-0.15, 0.15], z: HALF_HEIGHT });
    ctx.placeFixture([goal[0], goal[1], 0], ctx.rng.uniform(-0.3, 0.3));
    ctx.placeObject(ctx.samplePosition({ x: [-0.12, 0.08], y: [-0.15, 0.15], z: HALF_HEIGHT, awayFrom: [goal], minDistance: 0.15 }));
    ctx.setGoal(goal);
  },
  achievedGoal: (s) => s.objectPos,
  isSuccess: (achieved, desired) => dist2(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const reachR = 1 - Math.tanh(5 * dist3(s.tcp, s.objectPos));
    const place = 1 - Math.tanh(5 * dist2(achieved, s.goal));
    return (reachR + 2 * place) / 3;
  },
  // push's sweep, aimed at a waypoint: straight along the frame's axis for a puck already at the
  // mouth within its walls; straight at a spot 3 cm past the middle of the frame when that line
  // crosses the mouth well inside its walls; otherwise first at a spot on the frame's centre line
  // 10 cm in front of the middle. The paddle goes down behind the puck on the line
  // from the waypoint through the puck, and lifts and goes round if the puck slides off it.
  expert(s) {
    const [px, py] = s.objectPos;
    const [tx, ty, tz] = s.tcp;
    const c = Math.cos(s.fixtureYaw);
    const sn = Math.sin(s.fixtureYaw);
    const [along, across] = inFrame(s, s.objectPos);
    // Where the puck's path to the spot past the middle crosses the mouth (x = -DEPTH / 2), across.
    const atMouth = along >= -DEPTH / 2 ? across : (across * (0.03 + DEPTH / 2)) / (0.03 - along);
    const inLine = Math.abs(atMouth) < MOUTH_HALF - RADIUS - 0.01;
    // A puck already at the mouth and within its walls goes straight in along the frame's axis.
    const atDoor = along > -DEPTH / 2 - 0.03 && Math.abs(across) < MOUTH_HALF - RADIUS - 0.005;
    const [wx, wy] = atDoor
      ? [px + 0.1 * c, py + 0.1 * sn]
      : inLine
        ? [s.goal[0] + 0.03 * c, s.goal[1] + 0.03 * sn]
        : [s.goal[0] - LINE_UP * c, s.goal[1] - LINE_UP * sn];
    let ux = wx - px;
    let uy = wy - py;
    const d = Math.hypot(ux, uy) || 1;
    ux /= d;
    uy /= d;
    const low = 0.03;
    const high = 0.09;
    const to = (x: number, y: number, z: number) => steer(s, x, y, z, 1);
    if (s.gripperGap > 0.01) return to(tx, ty, Math.max(tz, high));
    const bx = px - ux * (RADIUS + 0.022);
    const by = py - uy * (RADIUS + 0.022);
    const behind = (tx - px) * ux + (ty - py) * uy;
    const off = -(tx - px) * uy + (ty - py) * ux;
    if (behind < -RADIUS && Math.abs(off) < 0.012 && tz < low + 0.015) {
      // Into the frame at full speed (the walls stop the puck); toward the line-up spot slower,
      // slowing near it, so the puck stops there rather than sliding on past it.
      const ahead = inLine || atDoor ? Math.min(d, 0.05) : Math.min(0.5 * d, 0.025);
      return to(px + ux * ahead + off * uy, py + uy * ahead - off * ux, low);
    }
    if (Math.hypot(tx - bx, ty - by) < 0.012) return to(bx, by, low);
    // Rise clear of the puck before going round it: the fingertips pass 3.5 cm over its top.
    if (tz < high - 0.005) return to(tx, ty, high);
    return to(bx, by, high);
  },
};

/** Geometry the tests check against. */
export const SWEEP = { TOLERANCE, RADIUS, MOUTH_HALF, DEPTH, WALL, LINE_UP } as const;

export default sweepInto;
