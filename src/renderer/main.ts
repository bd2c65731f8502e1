import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import './theme.css';
import { applyRememberedTheme } from './lib/theme';

applyRememberedTheme();

const target = document.getElementById('app');
if (!target) throw new Error('Burrow: #app is missing from index.html');

export default mount(App, { target });
