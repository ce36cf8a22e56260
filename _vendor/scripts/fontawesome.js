/* The course's replacement for pydata-sphinx-theme's scripts/fontawesome.js (1.4 MB).
   That script redraws the theme's icons as inline SVG; the theme's stylesheet already
   draws the same icons with the Font Awesome webfonts it ships, so the site needs nothing
   here, and every page is 1.4 MB lighter (a page must stay under 5 MB with its files).
   Sphinx copies html_static_path (_vendor/) after the theme's files, so this file wins.
   tests/test_build.py checks that the icons still show. */
