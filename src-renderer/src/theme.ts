import { darkTheme, useOsTheme, type GlobalThemeOverrides } from 'naive-ui'
import { computed } from 'vue'

/** Aerie's colours on top of Naive UI's themes; the custom panes (logs, traces) use the same values through CSS variables in styles.css. */
const COMMON = {
  primaryColor: '#2563eb',
  primaryColorHover: '#3b82f6',
  primaryColorPressed: '#1d4ed8',
  primaryColorSuppl: '#3b82f6',
  successColor: '#16a34a',
  warningColor: '#d97706',
  errorColor: '#dc2626',
  borderRadius: '6px',
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  fontFamilyMono: "ui-monospace, 'SF Mono', Menlo, Consolas, monospace",
}

// Empty states' text at 4.5:1 or more on the page (Naive's default grey is lighter).
const LIGHT: GlobalThemeOverrides = { common: { ...COMMON, bodyColor: '#f6f7f9' }, Layout: { siderColorInverted: '#111827' }, Empty: { textColor: '#4b5563' } }
const DARK: GlobalThemeOverrides = {
  common: { ...COMMON, primaryColor: '#3b82f6', primaryColorHover: '#60a5fa', primaryColorPressed: '#2563eb', bodyColor: '#0b0f17', cardColor: '#111827' },
  Layout: { siderColorInverted: '#060910' },
  Empty: { textColor: '#9ca3af' },
}

/** Light or dark, following the OS setting live. */
export function useAerieTheme() {
  const os = useOsTheme()
  const dark = computed(() => os.value === 'dark')
  return { theme: computed(() => (dark.value ? darkTheme : null)), overrides: computed(() => (dark.value ? DARK : LIGHT)) }
}
