import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { router } from './router'
import './styles.css'

import { fixCardHeadings } from './a11y-fixes'
import { installShortcuts } from './shortcuts'

createApp(App).use(createPinia()).use(router).mount('#app')
fixCardHeadings(document.body)
installShortcuts(router)
