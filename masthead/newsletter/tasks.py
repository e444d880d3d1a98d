"""Background tasks of the newsletter: starting a campaign and sending it in batches."""

from django_tasks import task


@task()
def start_campaign_task(campaign_id):
    """Start a scheduled campaign once its time has come (does nothing otherwise)."""
    from masthead.newsletter import campaigns

    return campaigns.start_campaign(campaign_id)


@task()
def send_campaign_batch(campaign_id, generation):
    """Send one batch of a campaign's deliveries, then queue the next while work remains."""
    from masthead.newsletter import sending

    return sending.run_batch(campaign_id, generation)
