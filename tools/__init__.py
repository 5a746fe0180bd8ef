"""Tools of the repository that are not part of the installed civic package (pyproject installs civic*
only): the pretend city for demos and tests. civic never imports them."""
