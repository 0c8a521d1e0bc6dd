// The cabinet with a drawer that drawer-open and drawer-close share: its pieces, its joint and the
// points on the drawer the tasks and their experts use. Not a task itself.
//
// The cabinet (16 cm deep, 20 cm wide, 8 cm tall) faces the robot (-x) at yaw 0; its drawer slides
// on a prismatic joint along the cabinet's -x axis, 0 (closed) to 14 cm, with viscous damping
// (3 N s/m) and Coulomb friction (1.5 N), so it neither coasts nor drifts. The handle is a bar
// across the drawer's front, 4 cm out from it: a closed gripper goes down between bar and front to
// pull, or in front of the bar to push.
import type { FixturePartSpec, FixtureSpec, Vec3 } from '../task.ts';

/** Drawer travel (m): the joint's limits are [0, MAX_OPEN]. */
export const MAX_OPEN = 0.14;
/** Base frame: the cabinet's front face is at x = -0.08, the drawer's front panel 1 cm in front of it. */
const FRONT = -0.09;
const HANDLE_Z = 0.055;
/** The handle bar's half depth (along the drawer's axis). */
const BAR_HALF = 0.008;
/** The handle bar's centre, 4 cm of gap out from the drawer's front (drawer closed; drawer part frame). */
export const HANDLE: Vec3 = [FRONT - 0.04 - BAR_HALF, 0, HANDLE_Z];
/** Middle of the gap between bar and front, at the height the closed fingers hook at (drawer part frame). */
export const HOOK: Vec3 = [FRONT - 0.02, 0, 0.06];
/**
 * Where the closed fingers push the bar from (drawer part frame): the paddle's centre (1 cm half
 * depth) touching the bar's front face, at the bar's height.
 */
export const PUSH: Vec3 = [HANDLE[0] - BAR_HALF - 0.01, 0, HANDLE_Z];
/** TCP height that keeps the fingertips clear of the cabinet's top (8 cm). */
export const SAFE_Z = 0.13;

const box = (halfExtents: Vec3, offset: Vec3): FixturePartSpec => ({ halfExtents, offset });

/** The cabinet and its drawer (moving part 0), as a task's `fixture` field. */
export const CABINET: FixtureSpec = {
  color: '#8f6f4f',
  friction: 0.8,
  parts: [
    box([0.08, 0.1, 0.005], [0, 0, 0.075]), // top
    box([0.08, 0.1, 0.005], [0, 0, 0.005]), // bottom
    box([0.08, 0.005, 0.03], [0, 0.095, 0.04]), // sides
    box([0.08, 0.005, 0.03], [0, -0.095, 0.04]),
    box([0.005, 0.09, 0.03], [0.075, 0, 0.04]), // back
  ],
  moving: [
    {
      name: 'drawer',
      joint: 'prismatic',
      axis: [-1, 0, 0],
      limits: [0, MAX_OPEN],
      damping: 3,
      jointFriction: 1.5,
      mass: 0.4,
      color: '#b08f6a',
      parts: [
        box([0.005, 0.095, 0.034], [FRONT + 0.005, 0, 0.04]), // front panel
        box([0.07, 0.085, 0.004], [-0.01, 0, 0.015]), // floor
        box([0.07, 0.004, 0.02], [-0.01, 0.081, 0.035]), // sides
        box([0.07, 0.004, 0.02], [-0.01, -0.081, 0.035]),
        box([0.004, 0.085, 0.02], [0.056, 0, 0.035]), // back
        { halfExtents: [BAR_HALF, 0.05, 0.008], offset: HANDLE, color: '#d8dee9' }, // handle bar
        { halfExtents: [0.02, 0.005, 0.006], offset: [FRONT - 0.02, 0.045, HANDLE_Z], color: '#d8dee9' }, // its posts
        { halfExtents: [0.02, 0.005, 0.006], offset: [FRONT - 0.02, -0.045, HANDLE_Z], color: '#d8dee9' },
      ],
    },
  ],
};

/** Cabinet placement shared by both drawer tasks: centre x, y ranges (m) and yaw range (rad). */
export const CABINET_X: [number, number] = [0.05, 0.15];
export const CABINET_Y: [number, number] = [-0.1, 0.1];
export const CABINET_YAW = 0.35;
