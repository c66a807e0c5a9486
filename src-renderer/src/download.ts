/** Saves exported files through the browser's download (Electron shows its save dialog for these). */
export function downloadFiles(files: { name: string; encoding: 'utf8' | 'base64'; content: string }[]): void {
  for (const file of files) {
    const bytes = file.encoding === 'base64' ? Uint8Array.from(atob(file.content), (c) => c.charCodeAt(0)) : new TextEncoder().encode(file.content)
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }))
    const a = document.createElement('a')
    a.href = url
    a.download = file.name
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  }
}
