// The 3D side of the viewer: builds three.js meshes from a scene message and writes body transforms
// straight into their matrices. Every env is drawn centred at the origin inside its own grid cell
// (scissored viewport), all cells sharing one orbit camera, so each env is seen the same way.
//
// Render path rule: no allocation per frame. Scratch vectors/matrices live at module level, meshes
// have matrixAutoUpdate off and get their matrix written in place, and a frame is rendered only
// when something changed (new transforms, camera move, resize).
import {
  AmbientLight,
  BoxGeometry,
  CapsuleGeometry,
  Color,
  CylinderGeometry,
  DirectionalLight,
  Group,
  HemisphereLight,
  Matrix4,
  Mesh,
  MeshStandardMaterial,
  PCFShadowMap,
  PerspectiveCamera,
  PlaneGeometry,
  Quaternion,
  Scene,
  SphereGeometry,
  Vector3,
  WebGLRenderer,
  type BufferGeometry,
  type Material,
} from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import type { SceneMessage, VisualShape } from '../../server/protocol.ts';

const _pos = new Vector3();
const _quat = new Quaternion();
const _one = new Vector3(1, 1, 1);
const _body = new Matrix4();
const _stem = new Matrix4();
const _stemScale = new Vector3();
const _stemRot = new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), Math.PI / 2);

export interface Cell {
  env: number;
  /** CSS pixels from the canvas's top-left. */
  x: number;
  y: number;
  w: number;
  h: number;
}

interface PartMesh {
  mesh: Mesh;
  local: Matrix4;
}
interface BodyMeshes {
  parts: PartMesh[];
  /** Goal markers: a thin stem down to the table, so the height of the goal reads at a glance. */
  stem: Mesh | null;
}
interface EnvMeshes {
  group: Group;
  origin: [number, number, number];
  bodies: BodyMeshes[];
  /** Float offset of this env's first body in the transform buffer. */
  offset: number;
}

/** Where the camera looks in each env's own frame: between the arm's base and the table centre. */
const TARGET = new Vector3(-0.16, 0, 0.2);

export class World {
  readonly renderer: WebGLRenderer;
  readonly camera = new PerspectiveCamera(38, 1, 0.02, 60);
  readonly controls: OrbitControls;
  private readonly scene = new Scene();
  private envs: EnvMeshes[] = [];
  private readonly geometries = new Map<string, BufferGeometry>();
  private readonly materials = new Map<string, Material>();
  /** Latest transforms of every body of every env (scene order), written by the connection. */
  transforms = new Float32Array(0);
  cells: Cell[] = [];
  private needsRender = true;
  private width = 1;
  private height = 1;

  constructor(readonly canvas: HTMLCanvasElement) {
    this.renderer = new WebGLRenderer({ canvas, antialias: true, powerPreference: 'low-power' });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.renderer.setScissorTest(true);
    this.renderer.setClearColor(0x1c2028);
    // Shadows make heights readable (is the block on the table or in the hand?). One small map,
    // fitted around a single env, since every cell draws its env at the origin.
    this.renderer.shadowMap.enabled = true;
    this.renderer.shadowMap.type = PCFShadowMap;
    this.camera.up.set(0, 0, 1);
    this.camera.position.set(1.1, -1.38, 0.88).add(TARGET);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.target.copy(TARGET);
    this.controls.enableDamping = false;
    this.controls.maxPolarAngle = Math.PI * 0.495;
    this.controls.minDistance = 0.3;
    this.controls.maxDistance = 8;
    this.controls.addEventListener('change', () => (this.needsRender = true));
    this.controls.update();

    this.scene.add(new HemisphereLight(0xdfe8ff, 0x3a3128, 1.6));
    this.scene.add(new AmbientLight(0xffffff, 0.25));
    const sun = new DirectionalLight(0xffffff, 2.2);
    sun.position.set(0.5, -0.8, 2.5);
    sun.castShadow = true;
    sun.shadow.mapSize.set(1024, 1024);
    const sc = sun.shadow.camera;
    sc.left = -0.9;
    sc.right = 0.9;
    sc.top = 0.9;
    sc.bottom = -0.9;
    sc.near = 0.5;
    sc.far = 5;
    sun.shadow.bias = -0.0005;
    this.scene.add(sun);
    // A floor far below the table slab, for a sense of up and down.
    const floor = new Mesh(new PlaneGeometry(6, 6), new MeshStandardMaterial({ color: 0x2a2f3a, roughness: 1 }));
    floor.position.set(0, 0, -0.75);
    this.scene.add(floor);
  }

  /** Rebuilds the meshes for a new scene. */
  setScene(scene: SceneMessage): void {
    for (const e of this.envs) this.scene.remove(e.group);
    this.envs = [];
    let offset = 0;
    for (const env of scene.envs) {
      const group = new Group();
      group.matrixAutoUpdate = false;
      group.visible = false;
      const bodies: BodyMeshes[] = [];
      for (const b of env.bodies) {
        const parts: PartMesh[] = [];
        let stem: Mesh | null = null;
        for (const p of b.parts) {
          const mesh = new Mesh(this.geometry(p.geometry), this.material(p.color, b.kind === 'marker' ? 'marker' : b.kind));
          mesh.matrixAutoUpdate = false;
          mesh.castShadow = b.kind !== 'marker' && b.name !== 'table';
          mesh.receiveShadow = b.kind === 'static';
          const local = new Matrix4().compose(new Vector3(...p.offset), new Quaternion(...p.rotation), _one);
          group.add(mesh);
          parts.push({ mesh, local });
          if (b.kind === 'marker') {
            // A translucent halo makes the small goal sphere visible from afar.
            const halo = new Mesh(this.geometry({ shape: 'sphere', radius: 2.6 * radiusOf(p.geometry) }), this.material(p.color, 'halo'));
            halo.matrixAutoUpdate = false;
            group.add(halo);
            parts.push({ mesh: halo, local });
            stem = new Mesh(this.geometry({ shape: 'cylinder', radius: 0.002, halfHeight: 0.5 }), this.material(p.color, 'halo'));
            stem.matrixAutoUpdate = false;
            group.add(stem);
          }
        }
        bodies.push({ parts, stem });
      }
      this.scene.add(group);
      this.envs.push({ group, origin: env.origin, bodies, offset });
      offset += env.bodies.length * 7;
    }
    this.transforms = new Float32Array(offset);
    this.needsRender = true;
  }

  /** Marks that new transforms arrived for the given env(s). */
  invalidate(): void {
    this.needsRender = true;
  }

  setCells(cells: Cell[]): void {
    this.cells = cells;
    this.needsRender = true;
  }

  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.width = Math.max(1, width);
    this.height = Math.max(1, height);
    this.renderer.setSize(this.width, this.height, false);
    this.needsRender = true;
  }

  /** Renders if anything changed; returns whether it did. Allocation-free. */
  render(): boolean {
    if (!this.needsRender) return false;
    this.needsRender = false;
    const r = this.renderer;
    const cells = this.cells;
    if (cells.length === 0) {
      r.setViewport(0, 0, this.width, this.height);
      r.setScissor(0, 0, this.width, this.height);
      r.clear();
      return true;
    }
    const aspect = cells[0].w / Math.max(1, cells[0].h);
    if (this.camera.aspect !== aspect) {
      this.camera.aspect = aspect;
      this.camera.updateProjectionMatrix();
    }
    for (let k = 0; k < cells.length; k++) {
      const c = cells[k];
      const env = this.envs[c.env];
      if (!env) continue;
      this.writeMatrices(env);
      env.group.visible = true;
      const y = this.height - c.y - c.h; // GL viewports count from the bottom
      r.setViewport(c.x, y, c.w, c.h);
      r.setScissor(c.x, y, c.w, c.h);
      r.render(this.scene, this.camera);
      env.group.visible = false;
    }
    return true;
  }

  /** Writes each part's matrix: env shift (centre the env) x body pose x part offset. */
  private writeMatrices(env: EnvMeshes): void {
    const t = this.transforms;
    const [ox, oy, oz] = env.origin;
    let k = env.offset;
    for (let b = 0; b < env.bodies.length; b++, k += 7) {
      const body = env.bodies[b];
      _pos.set(t[k] - ox, t[k + 1] - oy, t[k + 2] - oz);
      // A body that has not had a frame yet has an all-zero quaternion: draw it at identity.
      if (t[k + 3] === 0 && t[k + 4] === 0 && t[k + 5] === 0 && t[k + 6] === 0) _quat.identity();
      else _quat.set(t[k + 3], t[k + 4], t[k + 5], t[k + 6]);
      _body.compose(_pos, _quat, _one);
      for (let p = 0; p < body.parts.length; p++) {
        const part = body.parts[p];
        part.mesh.matrix.multiplyMatrices(_body, part.local);
        part.mesh.matrixWorldNeedsUpdate = true;
      }
      if (body.stem) {
        const h = Math.max(_pos.z, 0.001);
        _stemScale.set(1, h, 1); // unit-length cylinder along +Y, turned to +Z
        _pos.z = h / 2;
        _stem.compose(_pos, _stemRot, _stemScale);
        body.stem.matrix.copy(_stem);
        body.stem.matrixWorldNeedsUpdate = true;
      }
    }
  }

  private geometry(g: VisualShape): BufferGeometry {
    const key = JSON.stringify(g);
    let geo = this.geometries.get(key);
    if (!geo) {
      switch (g.shape) {
        case 'box':
          geo = new BoxGeometry(2 * g.halfExtents[0], 2 * g.halfExtents[1], 2 * g.halfExtents[2]);
          break;
        case 'cylinder':
          geo = new CylinderGeometry(g.radius, g.radius, 2 * g.halfHeight, 24);
          break;
        case 'capsule':
          geo = new CapsuleGeometry(g.radius, 2 * g.halfHeight, 6, 16);
          break;
        case 'sphere':
          geo = new SphereGeometry(g.radius, 20, 14);
          break;
      }
      this.geometries.set(key, geo);
    }
    return geo;
  }

  private material(color: string, kind: string): Material {
    const key = `${color}|${kind}`;
    let m = this.materials.get(key);
    if (!m) {
      const c = new Color(color);
      if (kind === 'halo') m = new MeshStandardMaterial({ color: c, transparent: true, opacity: 0.28, depthWrite: false, emissive: c, emissiveIntensity: 0.4 });
      else if (kind === 'marker') m = new MeshStandardMaterial({ color: c, emissive: c, emissiveIntensity: 0.6 });
      else m = new MeshStandardMaterial({ color: c, roughness: kind === 'static' ? 0.9 : 0.55, metalness: kind === 'kinematic' ? 0.25 : 0.05 });
      this.materials.set(key, m);
    }
    return m;
  }
}

function radiusOf(g: VisualShape): number {
  return g.shape === 'box' ? Math.max(...g.halfExtents) : g.radius;
}
