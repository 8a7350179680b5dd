// Entry point: mounts the app, then starts the model worker (which loads nothing until "Load model").
import { mount } from 'svelte';
import App from './App.svelte';
import { app, model } from './appState.ts';
import { createClient } from '../lib/workerClient.ts';
import { registerServiceWorker } from './serviceWorker.ts';
import './app.css';

mount(App, { target: document.getElementById('app')! });

createClient()
  .then((client) => model.attach(client))
  .catch((err) => model.failToStart(err));

registerServiceWorker();

// Fault-injection tests (e2e/processFaults.spec.ts) reach the app's state with ?test-hooks; never otherwise.
// They call __sift.ui.client (the worker client), so `ui` carries it beside every concept's state.
if (new URLSearchParams(location.search).has('test-hooks')) {
  (window as unknown as { __sift: unknown }).__sift = {
    ui: {
      ...app,
      get client() {
        return model.client;
      },
    },
  };
}
