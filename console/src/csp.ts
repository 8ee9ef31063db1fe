/**
 * Two helpers inside Ant Design's dependencies (@rc-component/util getScrollBarSize, used by tables
 * that scroll, and @rc-component/portal useScrollLocker, used by modals) insert <style> elements
 * without passing on the ConfigProvider's nonce, so the Content-Security-Policy refuses them.
 * Elements this page's own scripts insert get the page's nonce: script runs only from 'self', so
 * whatever inserts them is the console's bundle. Markup injected into the page (the threat the
 * policy guards against) is parsed, not appended by script, and stays refused.
 */
export function nonceScriptInsertedStyles(nonce: string): void {
  if (!nonce) return;
  const withNonce = <T extends Node>(node: T): T => {
    if (node instanceof HTMLStyleElement && !node.nonce) node.nonce = nonce;
    return node;
  };
  const appendChild = Node.prototype.appendChild;
  const insertBefore = Node.prototype.insertBefore;
  Node.prototype.appendChild = function appendChildWithNonce<T extends Node>(this: Node, node: T): T {
    return appendChild.call(this, withNonce(node)) as T;
  };
  Node.prototype.insertBefore = function insertBeforeWithNonce<T extends Node>(this: Node, node: T, child: Node | null): T {
    return insertBefore.call(this, withNonce(node), child) as T;
  };
}
