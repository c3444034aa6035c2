"""How the browser benchmarks tell when the app's run has started and finished.

Streamlit marks its root element with ``data-test-script-state`` (``running`` or
``notRunning``). :data:`RUN_STATE_RECORDER`, installed as a page's init script, records every
change with the page's clock in ``window.__runs``; :data:`RUN_STARTED` and :data:`RUN_FINISHED`
are the functions ``wait_for_function`` polls with the number of entries seen before an action.
"""

# Records every change of the app's run state with the page's clock.
RUN_STATE_RECORDER = """
window.__runs = [];
new MutationObserver((mutations) => {
  for (const m of mutations) {
    window.__runs.push([m.target.getAttribute('data-test-script-state'), performance.now()]);
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
"""
RUN_STARTED = "(n) => window.__runs.slice(n).some((r) => r[0] === 'running')"
# The page time at which the first run that started after entry ``n`` finished, else false.
RUN_FINISHED = """
(n) => {
  const runs = window.__runs.slice(n);
  const start = runs.findIndex((r) => r[0] === 'running');
  if (start < 0) return false;
  const end = runs.slice(start).find((r) => r[0] === 'notRunning');
  return end ? end[1] : false;
}
"""
APP_IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
