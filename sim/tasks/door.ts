// The cupboard door that door-open and door-close share: its posts, its panel on a revolute joint
// with a vertical axis, the handle points the tasks use, and where a handle point is at any door
// angle (for the experts, which follow the handle's arc). Not a task itself.
//
// The door (16 cm wide, its top 9 cm above the table, 250 g) stands upright facing the robot (-x)
// at yaw 0, between two posts, hinged on the +y post. Its joint turns it about the vertical line
// through the hinge so that positive angles swing its free edge toward the robot: 0 (closed) to 1.6
// rad (a little past a right angle). Viscous damping (0.1 N m s/rad) stops it soon after the hand
// lets go; no Coulomb friction (its per-substep correction of a revolute joint is costly: see
// lever-pull.ts). The handle is a bar along the door's width near its free edge, 4 cm out from its
// face on two posts: a closed gripper goes down between bar and face to pull the door open, or
// pushes the bar's front to close it. The door is low so the palm passes over it at handle height.
import { rotateYaw } from '../math.ts';
import type { FixturePartSpec, FixtureSpec, TaskState, Vec3 } from '../task.ts';
import { steer } from './steer.ts';

/** Door travel (rad): the joint's limits are [0, MAX_ANGLE]. */
export const MAX_ANGLE = 1.6;
/** The hinge line (base frame): vertical through this point. */
export const HINGE: Vec3 = [0, 0.08, 0];
const HALF_W = 0.078;
const HALF_T = 0.006;
const DOOR_TOP = 0.09;
/** The panel's lower edge: clear of the table by more than the contact prediction distance, so the two make no contact pair. */
const PANEL_BOTTOM = 0.015;
const HANDLE_Z = 0.07;
const BAR_HALF = 0.006;
/** The handle bar's centre, 4 cm of gap out from the door's face, 12.5 cm from the hinge (door part frame, closed). */
export const HANDLE: Vec3 = [-HALF_T - 0.04 - BAR_HALF, HINGE[1] - 0.125, HANDLE_Z];
/** Middle of the gap between bar and face, where the closed fingers hook to pull (door part frame). */
export const HOOK: Vec3 = [-HALF_T - 0.02, HANDLE[1], HANDLE_Z];
/**
 * Where the closed paddle's centre goes down to push the bar from (door part frame): 1.9 cm out
 * from the bar's front face, so the paddle (world-aligned, 2 x 2.4 cm) clears the turned bar.
 */
export const PUSH: Vec3 = [HANDLE[0] - BAR_HALF - 0.019, HANDLE[1], HANDLE_Z];
/** TCP height that keeps the fingertips clear of the door's and handle's top. */
export const SAFE_Z = DOOR_TOP + 0.045;

const box = (halfExtents: Vec3, offset: Vec3, color?: string): FixturePartSpec => ({ halfExtents, offset, ...(color ? { color } : {}) });

/** The door's frame (two posts) and the door (moving part 0), as a task's `fixture` field. */
export const DOOR: FixtureSpec = {
  color: '#5e81ac',
  friction: 0.8,
  parts: [
    // Posts no taller than the door: the palm passes over them at handle height.
    box([0.012, 0.008, DOOR_TOP / 2], [0.006, HINGE[1] + 0.009, DOOR_TOP / 2]), // hinge post
    box([0.012, 0.008, DOOR_TOP / 2], [0.006, HINGE[1] - 2 * HALF_W - 0.013, DOOR_TOP / 2]), // the post the free edge closes against
  ],
  moving: [
    {
      name: 'door',
      joint: 'revolute',
      anchor: HINGE,
      axis: [0, 0, -1],
      limits: [0, MAX_ANGLE],
      damping: 0.1,
      mass: 0.25,
      color: '#d08770',
      parts: [
        box([HALF_T, HALF_W, (DOOR_TOP - PANEL_BOTTOM) / 2], [0, HINGE[1] - 0.002 - HALF_W, (DOOR_TOP + PANEL_BOTTOM) / 2]), // panel
        box([BAR_HALF, 0.03, 0.007], HANDLE, '#eceff4'), // handle bar
        box([0.02, 0.004, 0.006], [-HALF_T - 0.02, HANDLE[1] + 0.026, HANDLE_Z], '#eceff4'), // its posts
        box([0.02, 0.004, 0.006], [-HALF_T - 0.02, HANDLE[1] - 0.026, HANDLE_Z], '#eceff4'),
      ],
    },
  ],
};

/** Door placement shared by both door tasks: origin x, y ranges (m) and yaw range (rad). */
export const DOOR_X: [number, number] = [0.1, 0.2];
export const DOOR_Y: [number, number] = [-0.1, 0.1];
export const DOOR_YAW = 0.3;

/** Env-frame position of `local` (door part frame) with the door at angle q, for a door placed at `origin` with `yaw`. */
export function doorPointAt(origin: ArrayLike<number>, yaw: number, local: Vec3, q: number): Vec3 {
  // A turn of -q about +z (the joint's axis is -z) around the hinge, then the fixture's pose.
  const dx = local[0] - HINGE[0];
  const dy = local[1] - HINGE[1];
  const c = Math.cos(q);
  const s = Math.sin(q);
  const p = rotateYaw(yaw, [HINGE[0] + dx * c + dy * s, HINGE[1] - dx * s + dy * c, local[2]]);
  return [origin[0] + p[0], origin[1] + p[1], origin[2] + p[2]];
}

/**
 * The scripted expert of both door tasks: close the fingers into a paddle, go over `point` (HOOK
 * to open, PUSH to close) at a safe height, down to it, then carry it along its arc toward
 * `goalAngle(s)`, a quarter radian ahead at a time (closed loop on the door's angle). If the paddle
 * drifts off the point (out of the gap, off the bar), start over from above.
 */
export function doorExpert(point: Vec3, goalAngle: (s: TaskState) => number) {
  return (s: TaskState, m: Record<string, number>): number[] => {
    const [tx, ty, tz] = s.tcp;
    const to = (x: number, y: number, z: number) => steer(s, x, y, z, 1);
    const q = s.jointPos[0];
    const p = doorPointAt(s.fixturePos, s.fixtureYaw, point, q);
    if (s.gripperGap > 0.01) return to(p[0], p[1], Math.max(tz, SAFE_Z));
    const off = Math.hypot(tx - p[0], ty - p[1]);
    if (m.engaged && off < 0.02 && tz < HANDLE_Z + 0.015) {
      const goal = goalAngle(s);
      const next = q + Math.max(-0.25, Math.min(0.25, goal - q));
      const n = doorPointAt(s.fixturePos, s.fixtureYaw, point, next);
      return to(n[0], n[1], HANDLE_Z);
    }
    m.engaged = 0;
    if (off < 0.005 && tz < SAFE_Z + 0.01) {
      if (tz < HANDLE_Z + 0.005) m.engaged = 1;
      return to(p[0], p[1], HANDLE_Z);
    }
    if (tz < SAFE_Z - 0.01 && off > 0.005) return to(tx, ty, SAFE_Z);
    return to(p[0], p[1], SAFE_Z);
  };
}
