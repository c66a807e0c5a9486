/**
 * Naive UI's card header carries role="heading" without the aria-level that role requires (and
 * its title element a second one): the title becomes a level-2 heading (a page's h1 is its title),
 * the outer header a plain container. Checked by the axe-core e2e scan.
 */
export function fixCardHeadings(root: Node): void {
  const fix = () => {
    for (const el of (root as ParentNode).querySelectorAll('[role="heading"]:not([aria-level])')) {
      // The outer header holds the title and its buttons: only the title is the heading.
      if (el.classList.contains('n-card-header')) el.setAttribute('role', 'none')
      else el.setAttribute('aria-level', '2')
    }
  }
  fix()
  new MutationObserver(fix).observe(root, { childList: true, subtree: true })
}
