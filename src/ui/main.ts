// Entry point: mounts the app, then starts the model worker (which loads nothing until "Load model").
import { mount } from 'svelte';
import App from './App.svelte';
import { ui } from './state.svelte.ts';
import { createClient } from '../lib/workerClient.ts';
import { registerServiceWorker } from './serviceWorker.ts';
import './app.css';

mount(App, { target: document.getElementById('app')! });

createClient()
  .then((client) => ui.attach(client))
  .catch((err) => ui.failToStart(err));

registerServiceWorker();

// Fault-injection tests (e2e/faults.spec.ts) reach the app's state with ?test-hooks; never otherwise.
if (new URLSearchParams(location.search).has('test-hooks')) (window as unknown as { __sift: unknown }).__sift = { ui };
