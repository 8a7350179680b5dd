// Registers the service worker that vite-plugin-pwa generates at build time (workbox precache of the
// app shell and onnxruntime's wasm files), so that after one visit the app opens with no network.
// Model weights are not in it: they live in IndexedDB (src/store).
import { registerSW } from 'virtual:pwa-register';

export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  registerSW({
    immediate: true,
    onRegisterError: (err) => console.warn('Sift: offline support is unavailable (service worker failed to register):', err),
  });
}
