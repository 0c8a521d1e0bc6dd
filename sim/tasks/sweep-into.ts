// sweep-into: sweep a puck into a goal frame at the far edge of the hand's reach (hockey).
//
// The goal frame is a static fixture of three low walls (2 cm tall): a back wall and two side walls
// around a mouth 14 cm wide and 10 cm deep, open toward the robot (-x at yaw 0). The puck (radius
// 2.5 cm, height 2 cm, 80 g: flat, so it slides rather than tips over and rolls away) slides on the
// table; a closed gripper sweeps it in.
//
// Randomised at every reset: the frame's origin (the middle of its inside: the goal) at x in [0.22,
// 0.27] m, y in [-0.15, 0.15] m, its yaw in [-0.3, 0.3] rad; the puck at x in [-0.12, 0.08] m, y in
// [-0.15, 0.15] m, at least 15 cm from the goal (Meta-World's sweep-into keeps it 15 cm away too).
//
// Achieved goal: the puck's centre. Desired goal: the middle of the frame's inside. Success: the
// puck's centre within 5 cm of it in the table plane (Meta-World's sweep-into threshold), i.e.
// inside the frame: the mouth is 5 cm in front of the middle, and the walls keep the centre within
// 4.5 cm across and 2.5 cm behind it, so all of the inside counts but its two back corners' last
// millimetres. Time limit 100 control steps (4 s). dense-v1: (reach + 2 place) / 3 as in push, 1 on
// success.
import { dist2, dist3 } from '../math.ts';
import type { FixturePartSpec, TaskDefinition, TaskState, Vec3 } from '../task.ts';
import { steer } from './steer.ts';

const TOLERANCE = 0.05;
const RADIUS = 0.025;
const HALF_HEIGHT = 0.01;
/** Half width of the mouth's inside (across) and depth of the inside (along the frame's +x). */
const MOUTH_HALF = 0.07;
const DEPTH = 0.1;
const WALL = 0.005; // half thickness
const WALL_Z = 0.01; // half height
/** How far ahead of the puck (along the frame's axis) the expert steers it onto the frame's centre line. */
const LOOK_AHEAD = 0.1;

const wall = (halfExtents: Vec3, offset: Vec3): FixturePartSpec => ({ halfExtents, offset });

/** How far `p` is along the frame's axis from its middle (the goal): negative in front of it. */
function alongFrame(s: TaskState, p: ArrayLike<number>): number {
  return (p[0] - s.goal[0]) * Math.cos(s.fixtureYaw) + (p[1] - s.goal[1]) * Math.sin(s.fixtureYaw);
}

const sweepInto: TaskDefinition = {
  name: 'sweep-into',
  description:
    'Sweep a puck into a goal frame with three walls at the far edge of the reach. Frame at x in [0.22, 0.27] m, y in [-0.15, 0.15] m, yaw in [-0.3, 0.3] rad, its mouth 14 cm wide facing the robot; puck at x in [-0.12, 0.08] m, y in [-0.15, 0.15] m, at least 15 cm away; success when the puck centre is within 5 cm of the middle of the frame, inside it.',
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
  // push's sweep, aimed by pure pursuit of the frame's centre line: at the point on that line
  // LOOK_AHEAD further along than the puck (at most 3 cm past the middle), so a puck off the line
  // comes onto it smoothly before the mouth and then goes straight in. The paddle goes down behind
  // the puck on the line from that point through the puck, and lifts and goes round if the puck
  // slides off it.
  expert(s) {
    const [px, py] = s.objectPos;
    const [tx, ty, tz] = s.tcp;
    const c = Math.cos(s.fixtureYaw);
    const sn = Math.sin(s.fixtureYaw);
    const k = Math.min(0.03, alongFrame(s, s.objectPos) + LOOK_AHEAD);
    const wx = s.goal[0] + k * c;
    const wy = s.goal[1] + k * sn;
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
      const ahead = Math.min(d, 0.04);
      return to(px + ux * ahead + off * uy, py + uy * ahead - off * ux, low);
    }
    if (Math.hypot(tx - bx, ty - by) < 0.012) return to(bx, by, low);
    // Rise clear of the puck before going round it: the fingertips pass 4.5 cm over its top.
    if (tz < high - 0.005) return to(tx, ty, high);
    return to(bx, by, high);
  },
};

/** Geometry the tests check against. */
export const SWEEP = { TOLERANCE, RADIUS, MOUTH_HALF, DEPTH, WALL } as const;

export default sweepInto;
