"""The briefing pack for a review meeting: a landscape PDF of the scorecard, What changed, the
trend charts, the notes and a paragraph per component that says only what the tests support.

- :mod:`bsc.brief.content`: the scorecard rows and the sentences, from tested results only;
- :mod:`bsc.brief.charts`: the trend charts drawn for print and rendered to PNG;
- :mod:`bsc.brief.pdf`: the layout, :func:`~bsc.brief.pdf.brief_pdf` and
  :func:`~bsc.brief.pdf.write_brief`;
- :mod:`bsc.brief.command`: ``python -m bsc brief``.

Nothing is imported here, so that the command line's other commands never load the PDF library.
"""
