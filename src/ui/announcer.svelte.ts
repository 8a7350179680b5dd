// The page-wide polite announcement (additions, removals, moves, loads, runs). App.svelte shows it in
// one live region; every concept with something to say is handed this one instance.
export class Announcer {
  message = $state('');

  announce(message: string): void {
    // Re-announce identical messages too: screen readers ignore an unchanged live region.
    this.message = this.message === message ? `${message}\u00a0` : message;
  }
}
