// Placeholder entry until the Svelte UI lands: proves the page loads cross-origin isolated.
const app = document.getElementById('app')!;
app.textContent = `Sift — crossOriginIsolated: ${String(globalThis.crossOriginIsolated)}`;
