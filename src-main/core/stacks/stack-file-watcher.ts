import fs from 'node:fs'
import path from 'node:path'

/** Editors write in bursts (temp file, rename, chmod): act once the burst settles. */
const WATCH_DEBOUNCE_MS = 150

/**
 * Calls `onChange` after `file` changes. Watches the folder, not the file, because many
 * editors save by writing a new file and renaming it over the old one.
 */
export function watchStackFile(file: string, onChange: () => void): () => void {
  const name = path.basename(file)
  let timer: NodeJS.Timeout | undefined
  let watcher: fs.FSWatcher
  try {
    watcher = fs.watch(path.dirname(file), (_event, changed) => {
      if (changed && changed.toString() !== name) return
      clearTimeout(timer)
      timer = setTimeout(onChange, WATCH_DEBOUNCE_MS)
    })
  } catch (err) {
    console.error(`aerie: cannot watch ${file}: ${(err as Error).message}`)
    return () => {}
  }
  watcher.on('error', () => watcher.close())
  return () => {
    clearTimeout(timer)
    watcher.close()
  }
}
