import type { InjectionKey, Ref } from 'vue'

/** Provided by a form: true when every field should show its messages, touched or not (an existing stack, or the user asked). */
export const SHOW_ALL_ERRORS: InjectionKey<Ref<boolean>> = Symbol('show all errors')
