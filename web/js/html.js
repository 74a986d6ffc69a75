// One place that binds htm to Preact, so views import { html, useState, ... } from here.
import { h, render, Fragment } from '../vendor/preact.js';
import htm from '../vendor/htm.js';
export { useState, useEffect, useRef, useCallback, useMemo } from '../vendor/preact-hooks.js';
export const html = htm.bind(h);
export { h, render, Fragment };
