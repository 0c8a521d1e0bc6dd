// agents/tensor — CONTEXT
//
// What lives here: choosing and initialising the TensorFlow.js backend (backend.ts), loading the
// native BLAS addon built from native/ (native.ts), and registering its kernels into tfjs
// (kernels.ts). Everything else in agents/ does its math through tfjs and never touches the addon
// or a backend's storage directly: agents/nn asks kernels.ts whether the native kernels are active
// and runs them through tfjs's own kernel dispatch.
//
// May import: @tensorflow/tfjs, @tensorflow/tfjs-backend-wasm, node: built-ins, native/ (the
// addon, at run time). Must not import sim/, server/ or viewer/.
export { selectBackend, BACKEND_ENV, BACKEND_CHOICES, type BackendChoice, type BackendStatus, type SelectOptions } from './backend.ts';
export { loadBlasAddon, ADDON_PATH, type BlasAddon } from './native.ts';
export {
  enableBlasKernels, disableBlasKernels, blasKernelsActive, nativeKernelsActive, planMatMul, planMlp,
  type AdamAttrs, type NativeBackend,
} from './kernels.ts';
