"""Custom tags of the example application (registered by [Main] TagModules = mytags)."""
from pse import escape
from pse.tags import CustomTag


class Box(CustomTag):
    """<Box title="...">content</Box>: a framed box."""

    def __str__(self):
        title = escape(self.attrs.get('title', ''))
        return '<div class="box"><div class="box-title">%s</div>%s</div>' % (title, super().__str__())


class Shout(CustomTag):
    """<Shout>text</Shout>: the text in capitals."""

    def __str__(self):
        return super().__str__().upper()
