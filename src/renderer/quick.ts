import { mount } from 'svelte';
import QuickApp from './quick-app.svelte';
import './app.css';
import './theme.css';
import { applyRememberedTheme } from './lib/theme';

applyRememberedTheme();

const target = document.getElementById('quick');
if (!target) throw new Error('Burrow: #quick is missing from quick.html');

export default mount(QuickApp, { target });
