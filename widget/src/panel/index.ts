/** panel.js entry: the loader has already published its API and shadow root. */
import { Panel } from "./panel";

const loader = window.__chatbotLoader;
if (loader && !loader.panel) {
  const panel = new Panel(loader);
  loader.panel = panel;
  panel.mount();
  panel.setOpen(loader.isOpen());
}
