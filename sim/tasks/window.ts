// The sliding window that window-open and window-close share: its frame, its sash on a horizontal
// prismatic joint, the handle point the tasks use, and the expert that pushes the handle sideways.
// Not a task itself.
//
// The window (28 cm wide, 20 cm tall) stands upright facing the robot (-x) at yaw 0. Its frame holds
// a fixed pane on the +y half and a sash (12 x 16 cm, 300 g) that slides along the frame's +y axis
// on a prismatic joint from 0 (closed: covering the -y half) to 12 cm (open: in front of the fixed
// pane), with viscous damping (2 N s/m) and Coulomb friction (1 N), so it stays where it is left.
// The handle is a block standing 6 cm out from the sash's face, 3 cm tall, at the sash's middle: a
// closed gripper comes down beside its outer end and pushes it along the frame.
import { dist3 } from '../math.ts';
import type { FixturePartSpec, FixtureSpec, TaskState, Vec3 } from '../task.ts';
import { steer } from './steer.ts';

/** Sash travel (m): the joint's limits are [0, TRAVEL]; open is TRAVEL. */
export const TRAVEL = 0.12;
const HANDLE_Z = 0.1;
/** How far the handle reaches out from the sash's middle plane toward the robot (m). */
const HANDLE_OUT = 0.061;
/** The point of the handle the tasks track: 5 cm out from the sash's face, at its middle (sash part frame, window closed). */
export const HANDLE: Vec3 = [-0.055, -0.06, HANDLE_Z];
/** Distance along the slide axis from the handle's middle to the pushing paddle's centre. */
const BESIDE = 0.03;
/** TCP height at which the hand travels to the handle: fingertips clear of the handle's top. */
const TRAVEL_Z = HANDLE_Z + 0.045;

const box = (halfExtents: Vec3, offset: Vec3, color?: string): FixturePartSpec => ({ halfExtents, offset, ...(color ? { color } : {}) });

/** The window and its sash (moving part 0), as a task's `fixture` field. */
export const WINDOW: FixtureSpec = {
  color: '#d8dee9',
  friction: 0.8,
  parts: [
    box([0.012, 0.14, 0.01], [0.006, 0, 0.01]), // sill
    box([0.012, 0.14, 0.01], [0.006, 0, 0.19]), // top rail
    box([0.012, 0.01, 0.08], [0.006, 0.13, 0.1]), // posts
    box([0.012, 0.01, 0.08], [0.006, -0.13, 0.1]),
    box([0.003, 0.06, 0.08], [0.014, 0.06, 0.1], '#88c0d0'), // fixed pane
  ],
  moving: [
    {
      name: 'sash',
      joint: 'prismatic',
      axis: [0, 1, 0],
      limits: [0, TRAVEL],
      damping: 2,
      jointFriction: 1,
      mass: 0.3,
      color: '#81a1c1',
      parts: [
        box([0.004, 0.06, 0.08], [0, -0.06, 0.1]), // pane in its frame
        // The handle: one block from the pane's face out to 6 cm, pushed on its sides.
        box([(HANDLE_OUT - 0.004) / 2, 0.006, 0.015], [-(HANDLE_OUT + 0.004) / 2, HANDLE[1], HANDLE_Z], '#4c566a'),
      ],
    },
  ],
};

/** Window placement shared by both window tasks: origin x, y ranges (m) and yaw range (rad). */
export const WINDOW_X: [number, number] = [0.16, 0.22];
export const WINDOW_Y: [number, number] = [-0.1, 0.1];
export const WINDOW_YAW = 0.25;

/** The slide axis in the env frame (the way the sash opens). */
function slideAxis(s: TaskState): [number, number] {
  return [-Math.sin(s.fixtureYaw), Math.cos(s.fixtureYaw)];
}

/**
 * Where the closed paddle's centre goes to push the handle (`direction` 1: open, -1: close): beside
 * the handle on the side it is pushed from, at its height.
 */
function paddleSpot(s: TaskState, direction: 1 | -1): Vec3 {
  const handle = s.fixturePoint(HANDLE, 0);
  const [ax, ay] = slideAxis(s);
  return [handle[0] - direction * BESIDE * ax, handle[1] - direction * BESIDE * ay, HANDLE_Z];
}

/** The reach stage of both tasks' dense reward: 1 - tanh(10 |tcp - paddle spot|). */
export function windowReach(s: TaskState, direction: 1 | -1): number {
  return 1 - Math.tanh(10 * dist3(s.tcp, paddleSpot(s, direction)));
}

/**
 * The scripted expert of both window tasks: close the fingers into a paddle, travel above handle
 * height to the handle's side (the -axis side to open, the +axis side to close), go down beside the
 * handle and push it along the slide axis to 1 cm past `goalQ`; if the paddle leaves the handle's line
 * or ends up on the wrong side, start over from travel height.
 */
export function windowExpert(direction: 1 | -1, goalQ: number) {
  return (s: TaskState, m: Record<string, number>): number[] => {
    const [tx, ty, tz] = s.tcp;
    const to = (x: number, y: number, z: number) => steer(s, x, y, z, 1);
    const handle = s.fixturePoint(HANDLE, 0);
    const [ax, ay] = slideAxis(s);
    const spot = paddleSpot(s, direction);
    if (s.gripperGap > 0.01) return to(spot[0], spot[1], Math.max(tz, TRAVEL_Z));
    // How far the paddle is behind the handle (positive: on the pushing side) and off its line.
    const behind = -direction * ((tx - handle[0]) * ax + (ty - handle[1]) * ay);
    const across = Math.abs((tx - handle[0]) * ay - (ty - handle[1]) * ax);
    if (m.pushing && across < 0.012 && behind > 0.015 && tz < HANDLE_Z + 0.012) {
      const left = goalQ + direction * 0.01 - s.jointPos[0];
      return to(spot[0] + left * ax, spot[1] + left * ay, HANDLE_Z);
    }
    m.pushing = 0;
    const off = Math.hypot(tx - spot[0], ty - spot[1]);
    if (off < 0.006 && tz < TRAVEL_Z + 0.01) {
      if (tz < HANDLE_Z + 0.005) m.pushing = 1;
      return to(spot[0], spot[1], HANDLE_Z);
    }
    if (tz < TRAVEL_Z - 0.01 && off > 0.006) return to(tx, ty, TRAVEL_Z);
    return to(spot[0], spot[1], TRAVEL_Z);
  };
}
