// agents/tensor — CONTEXT
//
// What lives here: choosing and initialising the TensorFlow.js backend (backend.ts), loading the
// native BLAS addon built from native/ and setting its threads (native.ts), registering its
// kernels into tfjs (kernels.ts for the ones replacing tfjs's own, fused.ts for the addon's own
// Rrl* kernels and the functions that call them), and the backends' tensor memory the kernels work on (storage.ts). Everything
// else in agents/ does its math through tfjs and never touches the addon or a backend's storage
// directly: agents/nn and agents/sac ask storage.ts whether the native kernels are active and run
// them through tfjs's own kernel dispatch.
//
// May import: @tensorflow/tfjs, @tensorflow/tfjs-backend-wasm, node: built-ins, native/ (the
// addon, at run time). Must not import sim/, server/ or viewer/.
export { selectBackend, selectedBackend, BACKEND_ENV, BACKEND_CHOICES, type BackendChoice, type BackendStatus, type SelectOptions } from './backend.ts';
export { loadBlasAddon, ADDON_PATH, type BlasAddon } from './native.ts';
export {
  enableBlasKernels, disableBlasKernels, blasKernelsActive, nativeKernelsActive, planMatMul, type NativeBackend,
} from './kernels.ts';
export { planMlp, type AdamAttrs } from './fused.ts';
