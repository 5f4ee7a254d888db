from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "loket.outreach"
    label = "outreach"
    verbose_name = _("Outreach, service days and emergencies")

    def ready(self):
        from loket.capacity.integrity import register_holder
        from loket.core import personal_data
        from loket.outreach.bridge import register_desk_codes
        from loket.outreach.personal_data import PERSONAL_DATA
        from loket.outreach.selectors import count_participant_places, count_walk_in_places

        register_holder("walk_ins", count_walk_in_places)
        register_holder("outreach_participants", count_participant_places)
        personal_data.register(PERSONAL_DATA)
        # The information desk's code field checks DR... and EP... codes in (queue.bridge).
        register_desk_codes()
