// The Chromium flags every test and bench browser here starts with (plain JS: the bench's runner is
// not compiled). No sandbox (containers), no background traffic that could race a test's network
// faults, and WebGPU enabled (on these machines: SwiftShader, see BROWSER.md).
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];
