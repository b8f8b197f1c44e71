"""A QGIS feedback that keeps what an algorithm logs, for tests that check its log lines."""


def recording_feedback():
    """A ``QgsProcessingFeedback`` whose ``log`` lists every ``pushInfo`` line."""
    from qgis.core import QgsProcessingFeedback

    class Recording(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.log = []

        def pushInfo(self, info):  # noqa: N802 (QGIS's name)
            self.log.append(info)
            super().pushInfo(info)

    return Recording()
