import { createRouter, createWebHashHistory } from 'vue-router'
import StacksView from './views/StacksView.vue'

// Hash history: works the same from a file:// page in Electron and from the headless server.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/stacks' },
    { path: '/stacks', component: StacksView, meta: { title: 'Stacks' } },
    { path: '/stacks/new', component: () => import('./views/StackEditorView.vue'), meta: { title: 'New stack' } },
    { path: '/stacks/:id/edit', component: () => import('./views/StackEditorView.vue'), meta: { title: 'Edit stack' } },
    { path: '/logs', component: () => import('./views/LogsView.vue'), meta: { title: 'Logs' } },
    { path: '/certificates', component: () => import('./views/CertificatesView.vue'), meta: { title: 'Certificates' } },
    { path: '/traces', component: () => import('./views/TracesView.vue'), meta: { title: 'Traces' } },
  ],
})

// The window's (and the browser tab's) title names the page.
router.afterEach((to) => {
  document.title = to.meta.title ? `${String(to.meta.title)} · Aerie` : 'Aerie'
})
