// lever-pull: grasp a lever's knob and swing the lever up or down to a target angle.
//
// A post 15 cm tall carries a lever (14 cm arm, 80 g) on a revolute joint with a horizontal axis
// (along the post's y) 14 cm above the table; the arm points at the robot (-x at yaw 0) at angle 0,
// and positive angles raise its tip. Limits [-0.7, 0.7] rad. A counterweight behind the hinge puts
// the lever's centre of mass on the hinge line, so gravity does not turn it, and viscous damping
// (0.5 N m s/rad) stops it as soon as nothing pushes: it stays wherever it is left. (Coulomb joint
// friction would hold it too, but its per-substep correction of a revolute joint cost about a sixth
// of a step here.) The damping also keeps a passing bump from swinging it far. An upright
// cylindrical knob (2.2 cm across, 3.6 cm tall) stands on the arm's tip: the fingers close on it
// from the sides and the hand carries it along its arc.
//
// Randomised at every reset: the post at x in [0.15, 0.22] m, y in [-0.12, 0.12] m, yaw in
// [-0.3, 0.3] rad; the lever's starting angle in [-0.45, 0.45] rad; the target angle in
// [-0.65, 0.65] rad, at least 0.45 rad from the start (up or down). If the hand's random start is
// over the lever, it starts above it instead.
//
// Achieved goal: the knob's centre (TaskState.fixturePoint, so relabeled goals work from stored
// observations). Desired goal: where the knob's centre is with the lever at the target angle.
// Success: the knob within 2 cm of it (about 8.5 degrees of lever angle; Meta-World's lever-pull
// allows 7.5). Time limit 100 control steps (4 s). dense-v1: (reach + grasped + 2 progress) / 4,
// with reach = 1 - tanh(10 |tcp - knob|), grasped 1 when the fingers hold the knob, progress the
// share of the distance to the target done (of 16 cm), 1 on success.
import { dist3, rotateYaw } from '../math.ts';
import type { EpisodeContext, FixturePartSpec, TaskDefinition, TaskState, Vec3 } from '../task.ts';
import { steer } from './steer.ts';

const TOLERANCE = 0.02;
/** The hinge: on the post's +y side, 14 cm up (base frame). */
const ANCHOR: Vec3 = [0, 0.03, 0.14];
const ARM_HALF: Vec3 = [0.07, 0.006, 0.008];
const KNOB_R = 0.011;
const KNOB_HALF = 0.018;
/** The knob's centre at angle 0 (lever part frame = base frame at angle 0). */
const KNOB: Vec3 = [-0.13, ANCHOR[1], ANCHOR[2] + ARM_HALF[2] + KNOB_HALF];
/**
 * The counterweight behind the hinge: a box 5 x 2 cm across, its height and its centre's height
 * chosen so that the lever's centre of mass lies on the hinge line (the mass is spread over the
 * pieces by volume), so gravity never turns the lever.
 */
const WEIGHT_X = 0.05;
const ARM_VOLUME = 8 * ARM_HALF[0] * ARM_HALF[1] * ARM_HALF[2];
const KNOB_VOLUME = 2 * Math.PI * KNOB_R * KNOB_R * KNOB_HALF;
const WEIGHT_VOLUME = (ARM_VOLUME * ARM_HALF[0] + KNOB_VOLUME * (ANCHOR[0] - KNOB[0])) / WEIGHT_X;
const WEIGHT_HALF: Vec3 = [0.025, 0.01, WEIGHT_VOLUME / (8 * 0.025 * 0.01)];
const WEIGHT_AT: Vec3 = [ANCHOR[0] + WEIGHT_X, ANCHOR[1], ANCHOR[2] - (KNOB_VOLUME * (KNOB[2] - ANCHOR[2])) / WEIGHT_VOLUME];
const LIMIT = 0.7;
const START = 0.45;
const TARGET = 0.65;
const MIN_TURN = 0.45;
/** Distance over which the progress stage of the dense reward runs (m): the longest move, about. */
const PROGRESS_SPAN = 0.16;
/** TCP above the knob's centre when grasping: the palm clears the knob's top, the fingertips its foot. */
const GRASP_DZ = 0.003;

const piece = (halfExtents: Vec3, offset: Vec3, color?: string): FixturePartSpec => ({ halfExtents, offset, ...(color ? { color } : {}) });

/** Env-frame knob centre with the lever at angle q, for a lever whose fixture origin and yaw are given. */
function knobAt(origin: ArrayLike<number>, yaw: number, q: number): Vec3 {
  // Rotation about +y by q of the knob's offset from the hinge (base frame), then the fixture's pose.
  const dx = KNOB[0] - ANCHOR[0];
  const dz = KNOB[2] - ANCHOR[2];
  const c = Math.cos(q);
  const sn = Math.sin(q);
  const p = rotateYaw(yaw, [ANCHOR[0] + dx * c + dz * sn, ANCHOR[1], ANCHOR[2] - dx * sn + dz * c]);
  return [origin[0] + p[0], origin[1] + p[1], origin[2] + p[2]];
}

function isGrasped(s: TaskState, knob: ArrayLike<number>): boolean {
  return s.gripperGap < 2 * KNOB_R + 0.004 && s.gripperGap > 2 * KNOB_R - 0.008 && dist3(s.tcp, knob) < 0.02;
}

/** A target angle at least MIN_TURN from `start`, uniform over the allowed part of [-TARGET, TARGET]. */
function sampleTarget(ctx: EpisodeContext, start: number): number {
  const below = Math.max(0, start - MIN_TURN + TARGET);
  const above = Math.max(0, TARGET - (start + MIN_TURN));
  const u = ctx.rng.uniform(0, below + above);
  return u < below ? -TARGET + u : start + MIN_TURN + (u - below);
}

const leverPull: TaskDefinition = {
  name: 'lever-pull',
  description:
    'Grasp the knob of a lever on a horizontal hinge and pull it up or push it down to a target angle. Post at x in [0.15, 0.22] m, y in [-0.12, 0.12] m, yaw in [-0.3, 0.3] rad, lever at an angle in [-0.45, 0.45] rad, target angle in [-0.65, 0.65] rad at least 0.45 rad away; success when the knob is within 2 cm of where it is at the target angle.',
  maxSteps: 100,
  metadata: { objectKind: 'none', needsGrasp: true, usesFixture: true, goalInAir: true },
  fixture: {
    color: '#4c566a',
    friction: 0.8,
    parts: [piece([0.02, 0.02, 0.075], [0, 0, 0.075])], // the post
    moving: [
      {
        name: 'lever',
        joint: 'revolute',
        anchor: ANCHOR,
        axis: [0, 1, 0],
        limits: [-LIMIT, LIMIT],
        damping: 0.5,
        mass: 0.08,
        color: '#d08770',
        parts: [
          piece(ARM_HALF, [ANCHOR[0] - ARM_HALF[0], ANCHOR[1], ANCHOR[2]]), // arm
          { shape: 'cylinder', radius: KNOB_R, halfHeight: KNOB_HALF, offset: KNOB, color: '#eceff4' }, // knob
          piece(WEIGHT_HALF, WEIGHT_AT, '#4c566a'), // counterweight
        ],
      },
    ],
  },
  goalColor: '#d08770',
  initializeEpisode(ctx) {
    const [x, y] = ctx.samplePosition({ x: [0.15, 0.22], y: [-0.12, 0.12] });
    const yaw = ctx.rng.uniform(-0.3, 0.3);
    ctx.placeFixture([x, y, 0], yaw);
    const start = ctx.rng.uniform(-START, START);
    ctx.setJoint(0, start);
    ctx.setGoal(ctx.fixturePoint(KNOB, 0, sampleTarget(ctx, start)));
    // A hand starting over the lever would start inside it: start it above the knob's top instead.
    const knob = ctx.fixturePoint(KNOB, 0);
    const hinge = ctx.fixturePoint(ANCHOR);
    const [hx, hy, hz] = ctx.tcp;
    if (distToSegment2(hx, hy, knob, hinge) < 0.09) ctx.placeHand([hx, hy, Math.max(hz, knob[2] + KNOB_HALF + 0.06)]);
  },
  achievedGoal: (s) => s.fixturePoint(KNOB, 0),
  isSuccess: (achieved, desired) => dist3(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const reachR = 1 - Math.tanh(10 * dist3(s.tcp, achieved));
    const grasped = isGrasped(s, achieved) ? 1 : 0;
    const progress = Math.max(0, 1 - dist3(achieved, s.goal) / PROGRESS_SPAN);
    return (reachR + grasped + 2 * progress) / 4;
  },
  // Open, go over the knob, down around it, close; then carry the knob along its arc toward the
  // target angle, a quarter radian ahead at a time (closed loop on the lever's angle). If the knob
  // leaves the grip, open and start over from above.
  expert(s, m) {
    const [tx, ty, tz] = s.tcp;
    const knob = s.fixturePoint(KNOB, 0);
    const gx = knob[0];
    const gy = knob[1];
    const gz = knob[2] + GRASP_DZ;
    const holding = (m.closed ?? 0) >= 5 && s.gripperGap < 2 * KNOB_R + 0.006 && dist3(s.tcp, knob) < 0.025;
    if (holding) {
      // Target angle from the goal: the knob's arc point nearest the goal is at atan of its height.
      const q = s.jointPos[0];
      const goalQ = angleOf(s, s.goal);
      const next = q + Math.max(-0.25, Math.min(0.25, goalQ - q));
      const p = knobAt(s.fixturePos, s.fixtureYaw, next);
      return steer(s, p[0] + tx - knob[0], p[1] + ty - knob[1], p[2] + tz - knob[2], 1);
    }
    const off = Math.hypot(tx - gx, ty - gy);
    if (off < 0.005 && Math.abs(tz - gz) < 0.005) {
      m.closed = (m.closed ?? 0) + 1;
      return steer(s, gx, gy, gz, 1);
    }
    m.closed = 0;
    const above = gz + 0.06;
    if (off < 0.005) return steer(s, gx, gy, gz, -1);
    // Fingers open before coming near; rise first if low and off to the side.
    if (tz < above - 0.01 && off > 0.02) return steer(s, tx, ty, above, -1);
    return steer(s, gx, gy, Math.max(tz, above), -1);
  },
};

/**
 * The lever angle whose knob position is `p` (env frame): the angle of p's offset from the hinge
 * in the lever's plane, less the knob's own angle at q = 0.
 */
function angleOf(s: TaskState, p: ArrayLike<number>): number {
  const hinge = s.fixturePoint(ANCHOR);
  const local = rotateYaw(-s.fixtureYaw, [p[0] - hinge[0], p[1] - hinge[1], p[2] - hinge[2]]);
  const k0 = Math.atan2(KNOB[2] - ANCHOR[2], -(KNOB[0] - ANCHOR[0]));
  return Math.atan2(local[2], -local[0]) - k0;
}

/** Distance in the table plane from (x, y) to the segment from a to b. */
function distToSegment2(x: number, y: number, a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ux = b[0] - a[0];
  const uy = b[1] - a[1];
  const t = Math.max(0, Math.min(1, ((x - a[0]) * ux + (y - a[1]) * uy) / (ux * ux + uy * uy || 1)));
  return Math.hypot(x - a[0] - t * ux, y - a[1] - t * uy);
}

/** Geometry the tests check against. */
export const LEVER = { TOLERANCE, ANCHOR, KNOB, LIMIT, START, TARGET, MIN_TURN, knobAt } as const;

export default leverPull;
