from pse.tags import CustomTag


class Upper(CustomTag):
    def __str__(self):
        return super().__str__().upper()


class Plain(CustomTag):
    def __str__(self):
        return '[plain]'
