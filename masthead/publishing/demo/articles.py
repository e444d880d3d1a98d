"""The demo outlet's articles, written for it: local news, opinion, analysis, explainers
and interviews about the fictional town of Wennmouth and the Brannock Vale.

Each body is a list of (block type, value) pairs that ``builder`` turns into StreamField
data; inline pictures are named by a seed and drawn when the demo is built.
"""


def paragraph(text):
    return ("paragraph", text)


def heading(text, level="h2"):
    return ("heading", {"text": text, "level": level})


def pull_quote(text):
    return ("pull_quote", {"text": text})


def block_quote(quote, attribution, role="", source_url=""):
    return (
        "block_quote",
        {"quote": quote, "attribution": attribution, "role": role, "source_url": source_url},
    )


def embed(url, title, caption=""):
    return ("embed", {"url": url, "title": title, "caption": caption})


def statistic(figure, label, source_title, source_url=""):
    return (
        "statistic",
        {"figure": figure, "label": label, "source_title": source_title, "source_url": source_url},
    )


def callout(title, items, tone="info"):
    return ("callout", {"title": title, "items": items, "tone": tone})


def picture(seed, alt_text, caption, motif=None):
    return ("image", {"seed": seed, "alt_text": alt_text, "caption": caption, "motif": motif})


COUNCIL_PAPERS = "https://www.brannockvale.example/council/meetings"

ARTICLES = [
    {
        "slug": "council-agrees-budget-with-council-tax-rise",
        "title": "District council agrees budget with 4.5% council tax rise",
        "standfirst": (
            "Councillors approved a £38.2m spending plan after a three-hour debate, with "
            "extra money for adult social care and cuts to grass-cutting and floral displays."
        ),
        "type": "news",
        "section": "news",
        "authors": ["tom"],
        "tags": ["council", "budget", "council tax"],
        "days_ago": 0.4,
        "motif": "skyline",
        "hero_alt": "An illustrated town skyline at dusk with lit windows",
        "hero_caption": "Wennmouth's town centre, where the district council meets.",
        "body": [
            paragraph(
                "Brannock Vale District Council has agreed its budget for the coming year, "
                "raising its share of council tax by 4.5% and setting aside an extra £1.1m "
                "for adult social care. The plan passed by 27 votes to 14 on Wednesday night, "
                "with three abstentions, after a debate that ran well past ten o'clock."
            ),
            paragraph(
                "For a typical Band D home, the district's part of the bill will rise by "
                "£9.86 a year. Most of a household's council tax goes to the county council "
                "and the police, which set their own rates later this month, so the total "
                "increase residents see in April will be larger."
            ),
            statistic(
                "£38.2m",
                "net revenue budget agreed by Brannock Vale District Council for next year",
                "Budget report to full council",
                COUNCIL_PAPERS + "/budget",
            ),
            heading("Where the money goes"),
            paragraph(
                "The largest single increase is for care packages for older and disabled "
                "residents, which the council's finance report says have grown in cost by "
                "almost a fifth over two years. Waste collection and recycling remain the "
                "biggest service by spending, at £7.4m."
            ),
            paragraph(
                "To balance the books, the council will reduce grass-cutting on verges from "
                "eight cuts a year to five, end its contract for hanging baskets in the town "
                "centre, and leave two vacant posts in the planning team unfilled. It will "
                "also draw £600,000 from its reserves, which would fall to £4.9m by the end "
                "of the year."
            ),
            block_quote(
                "Nobody on this council wanted to raise bills while families are still "
                "feeling the pinch. But the alternative was to cut care for people who "
                "cannot manage without it, and that was not something we were prepared to do.",
                "Councillor Dana Whitlow",
                "Cabinet member for finance, Brannock Vale District Council",
                COUNCIL_PAPERS,
            ),
            heading("What the opposition said"),
            paragraph(
                "Opposition councillors proposed an amendment to keep the hanging baskets and "
                "pay for them by cutting the council's communications budget. It was defeated "
                "by 25 votes to 16. Councillor Imran Solsbury, who moved it, said small "
                "things that make a town feel cared for were being traded away too easily."
            ),
            paragraph(
                "Several members on both sides raised the state of the reserves. The "
                "council's chief finance officer told the meeting that the current level was "
                "adequate but that the council could not keep using reserves to close gaps "
                "in future years without putting itself at risk."
            ),
            pull_quote(
                "The council could not keep using reserves to close gaps without putting "
                "itself at risk, its finance officer warned."
            ),
            heading("What happens next"),
            paragraph(
                "Bills will be sent out in March. Residents who struggle to pay can apply to "
                "the council tax support scheme, which has not changed this year, and the "
                "council's hardship fund, which remains at £150,000."
            ),
            callout(
                "If you are worried about your bill",
                [
                    "Council tax support: apply online or at the Quay Street office",
                    "Hardship fund: for one-off help with arrears",
                    "Free, independent advice: the Brannock Vale Advice Centre",
                ],
                tone="help",
            ),
        ],
        "sources": [
            (
                "Budget report to full council",
                "Brannock Vale District Council",
                COUNCIL_PAPERS + "/budget",
                6,
            ),
            (
                "Medium-term financial strategy",
                "Brannock Vale District Council",
                COUNCIL_PAPERS + "/mtfs",
                20,
            ),
        ],
        "correction": {
            "kind": "correction",
            "days_after": 0.2,
            "text": (
                "An earlier version of this article said the budget passed by 28 votes to 13. "
                "It passed by 27 votes to 14, with three abstentions."
            ),
        },
    },
    {
        "slug": "central-library-opening-hours-change",
        "title": "Central library to open on Sundays but close on Mondays from April",
        "standfirst": (
            "Wennmouth Central Library will keep the same number of hours each week, but "
            "move them to the times the most people said they could visit."
        ),
        "type": "news",
        "section": "news",
        "authors": ["rhiannon"],
        "tags": ["libraries", "council"],
        "days_ago": 1.6,
        "motif": "shapes",
        "hero_alt": "Overlapping soft circles and rectangles in warm colours",
        "hero_caption": "The library's new hours begin on the first Sunday in April.",
        "body": [
            paragraph(
                "Wennmouth Central Library will open on Sunday afternoons for the first time "
                "from April, and close all day on Mondays, after a consultation in which more "
                "than 1,400 people took part. The total number of opening hours will stay at "
                "48 a week."
            ),
            paragraph(
                "The library will open from 12pm to 4pm on Sundays. Late opening on Thursdays "
                "will move to Wednesdays, when the building already hosts a homework club, "
                "and Saturday hours will be extended by an hour to 5pm."
            ),
            paragraph(
                "The consultation ran for eight weeks over the summer, online and on paper at "
                "all six of the district's libraries. Library staff also held sessions at the "
                "community hub and at two sheltered housing schemes, to hear from people who "
                "might not otherwise respond."
            ),
            callout(
                "New opening hours from April",
                [
                    "Monday: closed",
                    "Tuesday, Thursday and Friday: 9.30am to 5.30pm",
                    "Wednesday: 9.30am to 7.30pm",
                    "Saturday: 9.30am to 5pm",
                    "Sunday: 12pm to 4pm",
                ],
                tone="key",
            ),
            heading("Why the hours are changing"),
            paragraph(
                "Figures in the consultation report show that Monday mornings were the "
                "quietest time of the week, with an average of 31 visits in the first hour. "
                "Sunday was the day most often named by people who said they could not get "
                "to the library at present, especially parents who work during the week."
            ),
            statistic(
                "62%",
                "of consultation respondents said they would use the library on a Sunday",
                "Library opening hours consultation report",
                "https://www.brannockvale.example/libraries/consultation",
            ),
            paragraph(
                "The council says the change will not cost more to run. Staff rotas have been "
                "agreed with the library team, and no posts are affected. The mobile library, "
                "which serves eleven villages, keeps its existing timetable."
            ),
            block_quote(
                "We asked people when they would actually come, and the answer was clear. "
                "Sunday opening is something readers and families have asked for for years.",
                "Alun Breward",
                "Library services manager, Brannock Vale District Council",
            ),
            heading("Concerns about Mondays"),
            paragraph(
                "Not everyone welcomed the change. Several respondents said Monday mornings "
                "were when they used the library's computers to deal with benefits or job "
                "applications. The council says the computers will be available for booked "
                "sessions at the neighbouring community hub on Mondays instead."
            ),
            paragraph(
                "The Friends of Wennmouth Library group said it supported the trial but would "
                "be watching closely to see whether Monday users were lost. The council has "
                "committed to reviewing visitor figures after six months."
            ),
            pull_quote("The council has committed to reviewing visitor figures after six months."),
            paragraph(
                "The first Sunday opening will include a storytelling session for under-fives "
                "and a display about the history of the library building, which opened in "
                "1906 with money raised by the town's mill workers."
            ),
        ],
        "sources": [
            (
                "Library opening hours consultation report",
                "Brannock Vale District Council",
                "https://www.brannockvale.example/libraries/consultation",
                9,
            ),
        ],
        "correction": {
            "kind": "update",
            "days_after": 0.5,
            "text": (
                "This article has been updated with the council's arrangements for Monday "
                "computer sessions at the community hub, confirmed after publication."
            ),
        },
    },
    {
        "slug": "bus-route-14-consultation-opens",
        "title": "Consultation opens on plan to reroute the 14 bus away from Millbank",
        "standfirst": (
            "The operator says a faster route via the bypass would allow a bus every 20 "
            "minutes, but Millbank residents fear losing their only direct link to the "
            "hospital."
        ),
        "type": "news",
        "section": "news",
        "authors": ["rhiannon"],
        "tags": ["transport", "buses", "consultation"],
        "days_ago": 2.3,
        "motif": "skyline",
        "hero_alt": "An illustrated row of buildings beneath a pale sky",
        "hero_caption": "The 14 currently runs through Millbank on its way to the hospital.",
        "body": [
            paragraph(
                "A six-week consultation has opened on plans to change the route of the 14 "
                "bus, one of the busiest services in the Brannock Vale. Under the proposal, "
                "buses would use the eastern bypass instead of running through Millbank, "
                "cutting around eight minutes from the journey between the bus station and "
                "Vale General Hospital."
            ),
            paragraph(
                "Valley Connect, which runs the service under contract to the county council, "
                "says the time saved would let it run a bus every 20 minutes instead of every "
                "30 without adding vehicles or drivers."
            ),
            paragraph(
                "The 14 runs from the bus station through the town centre, Millbank and "
                "Northgate to the hospital, and on to Carrow Bridge. It is one of only three "
                "routes in the valley that run on Sundays, and one of the few that has carried "
                "more passengers this year than last."
            ),
            heading("What would change"),
            paragraph(
                "Four stops on Millbank Road and Tanner's Row would no longer be served by "
                "the 14. The nearest alternative for most Millbank residents would be the 9, "
                "which runs hourly and goes to the town centre but not to the hospital."
            ),
            statistic(
                "1,150",
                "average weekday passenger journeys on route 14",
                "County bus patronage figures",
                "https://www.example.org/county-transport/patronage",
            ),
            paragraph(
                "The company's own figures show that around 180 of those journeys begin or end "
                "at the four Millbank stops. It says a more frequent service would attract more "
                "new passengers than it loses."
            ),
            block_quote(
                "A bus every 20 minutes is a bus you do not need a timetable for. We think "
                "that is what will bring people back to the buses, but we want to hear from "
                "everyone who would be affected before anything is decided.",
                "Priya Castell",
                "Operations director, Valley Connect",
            ),
            heading("Residents' concerns"),
            paragraph(
                "The Millbank Residents' Association says many of its members are older and "
                "do not drive, and that changing buses in the town centre to reach the "
                "hospital would be difficult for people with mobility problems."
            ),
            pull_quote("A bus every 20 minutes is a bus you do not need a timetable for."),
            paragraph(
                "The association has asked the operator to consider a shuttle or a demand-"
                "responsive minibus for Millbank, linking with the 14 at the bypass. Valley "
                "Connect said it would look at the idea as part of the consultation."
            ),
            embed(
                "https://video.example/watch/bus-14-briefing",
                "Valley Connect's briefing on the route 14 proposal",
                "The operator's video explaining the proposed route.",
            ),
            heading("How to respond"),
            paragraph(
                "The consultation runs for six weeks. There will be drop-in sessions at "
                "Millbank Community Centre and at the bus station, and paper forms are "
                "available at the central library. The county council will make the final "
                "decision in the summer."
            ),
        ],
        "sources": [
            (
                "Route 14 consultation document",
                "Valley Connect",
                "https://www.example.com/valley-connect/route-14",
                1,
            ),
            (
                "County bus patronage figures",
                "County transport team",
                "https://www.example.org/county-transport/patronage",
                40,
            ),
        ],
    },
    {
        "slug": "millbank-flood-defence-scheme-approved",
        "title": "£6.8m flood defence scheme for Millbank gets the go-ahead",
        "standfirst": (
            "New walls, a raised embankment and a pumping station are meant to protect 340 "
            "homes that flooded twice in the last decade."
        ),
        "type": "news",
        "section": "news",
        "authors": ["rhiannon", "tom"],
        "tags": ["flooding", "river brannock", "environment"],
        "days_ago": 3.1,
        "motif": "river",
        "hero_alt": "An illustrated river winding between low hills at sunset",
        "hero_caption": "The River Brannock at Millbank, where the new defences will be built.",
        "body": [
            paragraph(
                "A £6.8m scheme to protect homes in Millbank from flooding has been approved "
                "by the district council's planning committee. Work on the defences, which "
                "include flood walls along the River Brannock, a raised embankment and a new "
                "pumping station, is due to start in the autumn and take around 18 months."
            ),
            paragraph(
                "The scheme is designed to protect 340 homes and 25 businesses against a flood "
                "of the size expected, on average, once in a hundred years, with an allowance "
                "for heavier rainfall in future."
            ),
            paragraph(
                "The planning committee approved the scheme unanimously. Councillors praised "
                "the years of work by residents, the county's flood risk team and the council's "
                "engineers, and several said they had been at community meetings after the last "
                "flood, when people were still drying out their homes."
            ),
            statistic(
                "340",
                "homes in Millbank the scheme is designed to protect",
                "Millbank flood alleviation scheme: planning statement",
                "https://www.example.org/environment/millbank-scheme",
            ),
            heading("Two floods in ten years"),
            paragraph(
                "Parts of Millbank flooded in two winters over the last decade, when the river "
                "rose after days of heavy rain on the hills above the valley. Residents "
                "described water coming up through drains as well as over the bank, which is "
                "why the scheme includes a pumping station as well as walls."
            ),
            picture(
                "millbank-inline",
                "An illustrated stretch of river with hills behind",
                "The embankment will be raised by up to a metre along the riverside path.",
                motif="river",
            ),
            paragraph(
                "The riverside path will stay open for most of the works, with short "
                "diversions. Some trees will be removed; the plans include planting three "
                "new trees for each one lost, and a new wildflower meadow on the embankment."
            ),
            block_quote(
                "Every time it rains hard, people on this street move their furniture "
                "upstairs. This scheme will not stop us worrying overnight, but it is the "
                "first time it feels like something is actually going to happen.",
                "Carys Mendel",
                "Chair, Millbank Flood Action Group",
            ),
            heading("Who is paying"),
            paragraph(
                "Most of the money comes from national flood defence funding, with "
                "contributions from the district and county councils and £400,000 from a "
                "local partnership fund. The council's share is £750,000, already set aside "
                "in its capital programme."
            ),
            paragraph(
                "Committee members asked about disruption during construction. Officers said "
                "lorries would reach the site from the bypass rather than through the "
                "residential streets, and working hours would be limited to weekdays and "
                "Saturday mornings."
            ),
            pull_quote("It is the first time it feels like something is actually going to happen."),
            paragraph(
                "A drop-in event about the timetable for the works will be held at Millbank "
                "Community Centre before construction begins."
            ),
        ],
        "sources": [
            (
                "Millbank flood alleviation scheme: planning statement",
                "Brannock Vale District Council",
                "https://www.example.org/environment/millbank-scheme",
                14,
            ),
            (
                "Planning committee agenda and minutes",
                "Brannock Vale District Council",
                COUNCIL_PAPERS + "/planning",
                0,
            ),
        ],
    },
    {
        "slug": "how-council-tax-works",
        "title": "How council tax works, and where your money goes",
        "standfirst": (
            "One bill, four bodies, eight bands: a plain guide to the tax that pays for bins, "
            "libraries, social care and the police."
        ),
        "type": "explainer",
        "section": "news",
        "authors": ["samir"],
        "tags": ["council tax", "explainer", "council"],
        "days_ago": 4.2,
        "motif": "shapes",
        "hero_alt": "Abstract overlapping shapes in blue and orange",
        "hero_caption": "Council tax pays for a share of local services; grants pay for the rest.",
        "body": [
            paragraph(
                "Council tax is a tax on homes, paid by the people who live in them. It is one "
                "bill, but the money is shared between several public bodies, each of which "
                "decides its own part of the charge every year."
            ),
            heading("Who sets it"),
            paragraph(
                "In the Brannock Vale, four bodies set a share of the bill: the county "
                "council, which runs social care, schools transport and roads; the district "
                "council, which collects bins and runs planning and leisure; the police; and, "
                "in most places, a town or parish council. The district council collects the "
                "whole bill and passes on the other shares."
            ),
            statistic(
                "73p",
                "of every pound of a typical Band D bill goes to the county council",
                "Council tax leaflet for the Brannock Vale",
                "https://www.brannockvale.example/council-tax/leaflet",
            ),
            heading("What the bands mean"),
            paragraph(
                "Every home is placed in one of eight bands, A to H, according to its value at "
                "a fixed date many years ago. The bands were set once and have not been "
                "revalued since, which is why two similar houses can sit in different bands. "
                "Band D is used as the reference point: a Band A home pays six-ninths of the "
                "Band D charge, and a Band H home pays twice as much."
            ),
            callout(
                "Discounts you may be able to claim",
                [
                    "A 25% discount if only one adult lives in the home",
                    "Council tax support if you are on a low income",
                    "Reductions for some disabled people whose home has been adapted",
                    "Exemptions for homes occupied only by full-time students",
                ],
                tone="help",
            ),
            heading("How much can it go up"),
            paragraph(
                "Councils cannot raise their share by as much as they like. Above a limit set "
                "nationally each year, a council must hold a local referendum, which almost "
                "none ever do. Councils with social care duties are allowed a little extra, "
                "which must be spent on care."
            ),
            pull_quote(
                "The bands were set once and have not been revalued since, which is why two "
                "similar houses can sit in different bands."
            ),
            heading("Where the rest of the money comes from"),
            paragraph(
                "Council tax pays for less of local services than most people think. Councils "
                "also receive grants from central government, a share of business rates, and "
                "income from fees and charges such as car parking and planning applications. "
                "For the district council, council tax makes up a little under half of its "
                "spending."
            ),
            paragraph(
                "If you think your home is in the wrong band, you can ask the national "
                "valuation service to review it. It is worth checking first what similar homes "
                "nearby pay, because a review can move a home into a higher band as well as a "
                "lower one."
            ),
            heading("Where to find the figures"),
            paragraph(
                "Each council publishes its budget report, and the leaflet that comes with "
                "your bill shows how the charge is split. We have linked to both below."
            ),
        ],
        "sources": [
            (
                "Council tax leaflet for the Brannock Vale",
                "Brannock Vale District Council",
                "https://www.brannockvale.example/council-tax/leaflet",
                30,
            ),
            (
                "Council tax bands explained",
                "Example Public Finance Institute",
                "https://www.example.org/public-finance/council-tax-bands",
                200,
            ),
        ],
    },
    {
        "slug": "dairy-site-housing-plan-goes-to-committee",
        "title": "Plan for 120 homes on former dairy site goes to committee",
        "standfirst": (
            "Officers recommend approval for the Station Road scheme, which includes 36 "
            "affordable homes; neighbours have raised concerns about traffic and parking."
        ),
        "type": "news",
        "section": "news",
        "authors": ["tom"],
        "tags": ["planning", "housing"],
        "days_ago": 5.4,
        "motif": "skyline",
        "hero_alt": "Illustrated houses and taller blocks against an evening sky",
        "hero_caption": "The former dairy has stood empty since production moved away.",
        "body": [
            paragraph(
                "A plan to build 120 homes on the site of the former Brannock Dairies works on "
                "Station Road will be decided by the district council's planning committee "
                "next week. Council officers have recommended that it be approved, subject to "
                "conditions."
            ),
            paragraph(
                "The scheme would include 36 affordable homes, of which 20 would be for social "
                "rent. The rest would be a mix of two- and three-bedroom houses and a block of "
                "flats on the corner nearest the station."
            ),
            paragraph(
                "The dairy closed more than a decade ago, when production moved to a larger "
                "plant outside the county. Since then the buildings have been boarded up, and "
                "the site has been the subject of two earlier applications, for a supermarket "
                "and for storage units, both of which were withdrawn."
            ),
            heading("What neighbours have said"),
            paragraph(
                "The council received 86 comments on the application. Most of those objecting "
                "live on the streets around the site and are worried about traffic at the "
                "Station Road junction, which already queues at peak times, and about parking "
                "spilling onto nearby roads."
            ),
            block_quote(
                "Nobody here is against homes being built on the dairy. We just want the "
                "junction sorted before a few hundred more cars start using it.",
                "Derek Ansty",
                "Station Road resident",
            ),
            paragraph(
                "Supporters, including several younger residents, said the town needed homes "
                "that local people could afford and that building on an empty industrial site "
                "was better than building on fields."
            ),
            heading("What the developer has offered"),
            paragraph(
                "The developer has agreed to pay for a new signal-controlled crossing on "
                "Station Road, improvements to the junction and a contribution of £410,000 "
                "towards school places. Each house would have at least one parking space, with "
                "a car club bay and cycle storage for the flats."
            ),
            statistic(
                "30%",
                "of the homes would be affordable, in line with the district's local plan",
                "Planning officer's report",
                COUNCIL_PAPERS + "/planning/station-road",
            ),
            paragraph(
                "The county council's highways team did not object, but asked for the "
                "junction works to be finished before the first homes are occupied. Officers "
                "have written that into the recommended conditions."
            ),
            pull_quote(
                "Building on an empty industrial site was better than building on fields, "
                "supporters said."
            ),
            heading("How to follow the decision"),
            paragraph(
                "The committee meeting is open to the public and is streamed on the council's "
                "website. Residents who commented on the application can register to speak "
                "for up to three minutes. We will report the outcome on the night."
            ),
            paragraph(
                "If the plan is approved, demolition of the remaining dairy buildings could "
                "begin later this year. The developer expects the first homes to be finished "
                "within two years."
            ),
        ],
        "sources": [
            (
                "Planning officer's report: former dairy, Station Road",
                "Brannock Vale District Council",
                COUNCIL_PAPERS + "/planning/station-road",
                3,
            ),
        ],
    },
    {
        "slug": "reader-survey-bus-use-analysis",
        "title": "Fewer journeys, longer waits: what our reader survey says about the buses",
        "standfirst": (
            "We asked 1,020 readers how they get around the valley. The answers show who "
            "depends on buses, and why many people who could use them do not."
        ),
        "type": "analysis",
        "section": "news",
        "authors": ["samir", "rhiannon"],
        "tags": ["transport", "buses", "data"],
        "days_ago": 6.3,
        "motif": "shapes",
        "hero_alt": "Abstract shapes in greens and creams",
        "hero_caption": "Our survey ran online and on paper at the library for four weeks.",
        "body": [
            paragraph(
                "Over four weeks in the autumn, 1,020 people answered our survey about "
                "getting around the Brannock Vale. It is not a random sample, and we explain "
                "below what that means for the figures. But it is the largest picture of local "
                "travel habits anyone has gathered since the county's own survey six years "
                "ago, and some of the patterns are striking."
            ),
            statistic(
                "41%",
                "of respondents said they use a bus at least once a month",
                "Riverside Ledger travel survey",
                "https://data.riversideledger.example/travel-survey",
            ),
            heading("Who rides the bus"),
            paragraph(
                "Bus use was highest among respondents under 25 and over 70, and among people "
                "without a car in their household. Of the 212 respondents with no car, nine "
                "in ten used a bus at least weekly. Among two-car households, the figure fell "
                "to one in twelve."
            ),
            paragraph(
                "That will surprise nobody who takes the 14 on a weekday morning. What is more "
                "interesting is the group in between: people who have access to a car but "
                "said they would rather not use it for some trips."
            ),
            heading("Why people do not take the bus"),
            paragraph(
                "We asked people who rarely use buses what would change their mind. The most "
                "common answer, given by 58%, was more frequent services. Next came buses "
                "running later in the evening (44%) and on Sundays (39%). Fares came fifth, "
                "named by 21%."
            ),
            pull_quote(
                "Frequency mattered more to respondents than fares: 58% said more buses would "
                "change their mind, against 21% who named price."
            ),
            paragraph(
                "That fits the argument Valley Connect is making for rerouting the 14: that a "
                "bus every 20 minutes would attract more new passengers than a slower, more "
                "roundabout route. Our data cannot settle that question for Millbank, where "
                "the people who would lose a direct service are among the most bus-dependent "
                "in the survey."
            ),
            callout(
                "How we ran the survey",
                [
                    "1,020 responses, online and on paper, over four weeks",
                    "Respondents chose to take part, so the results are not a random sample",
                    "We weighted results by age and area using census estimates",
                    "Our questions, raw data and weighting code are published in full",
                ],
                tone="info",
            ),
            heading("What the numbers cannot tell us"),
            paragraph(
                "People who choose to answer a survey about buses are likely to care more "
                "about buses than people who do not. Weighting helps with age and area but "
                "not with interest. We think the comparisons between groups are more reliable "
                "than the headline percentages, and we would treat the 41% figure as an upper "
                "estimate."
            ),
            paragraph(
                "We will repeat the survey next year, and we would like to work with the "
                "county council on a properly sampled one. In the meantime, the full results "
                "and our workings are on our data page."
            ),
        ],
        "sources": [
            (
                "Riverside Ledger travel survey: data and methods",
                "The Riverside Ledger",
                "https://data.riversideledger.example/travel-survey",
                0,
            ),
            (
                "County travel survey",
                "County transport team",
                "https://www.example.org/county-transport/travel-survey",
                2100,
            ),
        ],
    },
    {
        "slug": "ferry-lane-community-garden-opens",
        "title": "Ferry Lane community garden opens its gates after two years of work",
        "standfirst": (
            "Volunteers have turned a derelict car park into raised beds, a small orchard and "
            "a covered space for school visits."
        ),
        "type": "news",
        "section": "local",
        "authors": ["owen"],
        "tags": ["community", "gardening", "volunteering"],
        "days_ago": 7.2,
        "motif": "hills",
        "hero_alt": "Illustrated green hills under a bright sky",
        "hero_caption": "The garden is open to everyone on Saturdays and Wednesday evenings.",
        "body": [
            paragraph(
                "A community garden built by volunteers on a former car park off Ferry Lane "
                "opened to the public on Saturday. More than 200 people came to the opening, "
                "where children planted the first of twelve apple trees and the garden's "
                "volunteers served soup made from its first harvest."
            ),
            paragraph(
                "The site belonged to the district council and had been empty for almost a "
                "decade. A group of neighbours asked to lease it for a peppercorn rent, and "
                "after two years of clearing rubble, bringing in soil and building raised "
                "beds, it now has 32 growing plots, a wildlife pond and a timber shelter."
            ),
            paragraph(
                "The opening was led by the youngest and oldest members of the group: a seven- "
                "year-old from the nearby primary school and a ninety-one-year-old neighbour "
                "who remembers the site as an orchard before it was tarmacked over in the "
                "1960s."
            ),
            heading("Who it is for"),
            paragraph(
                "Half of the plots are shared by groups, including two primary schools, a "
                "day centre for older people and a supported housing project. The rest are "
                "tended by volunteers, and all produce is shared among them or given to the "
                "food bank on Quay Street."
            ),
            block_quote(
                "People told us nothing would ever grow on an old car park. We laughed and "
                "kept digging. Now there are tomatoes where people used to leave their cars.",
                "Lorna Beckett",
                "Chair, Ferry Lane Garden Group",
            ),
            statistic(
                "4,800",
                "volunteer hours recorded building the garden",
                "Ferry Lane Garden Group annual report",
                "https://www.example.org/ferry-lane-garden/report",
            ),
            heading("Paid for by small grants"),
            paragraph(
                "The group raised £38,000 in total, most of it from small grants and a "
                "crowdfunding appeal. A local timber merchant gave the wood for the shelter, "
                "and the accessible paths were built with help from a trainee scheme at the "
                "further education college."
            ),
            picture(
                "ferry-lane-inline",
                "Illustrated rolling hills in shades of green",
                "The orchard will take three or four years to bear a full crop.",
                motif="hills",
            ),
            paragraph(
                "All of the raised beds are at a height that can be reached from a wheelchair, "
                "and there is an accessible toilet in the shelter. The group says this was a "
                "condition it set itself from the start."
            ),
            pull_quote("Now there are tomatoes where people used to leave their cars."),
            heading("How to get involved"),
            paragraph(
                "The garden is open to everyone on Saturdays from 10am to 2pm and on Wednesday "
                "evenings in summer. No experience is needed, and tools and gloves are "
                "provided. The group is particularly looking for volunteers who can help with "
                "school sessions on weekday mornings."
            ),
        ],
        "sources": [
            (
                "Ferry Lane Garden Group annual report",
                "Ferry Lane Garden Group",
                "https://www.example.org/ferry-lane-garden/report",
                12,
            ),
        ],
    },
    {
        "slug": "interview-litter-pick-volunteer",
        "title": (
            "'You learn a street by sweeping it': meet the woman behind the Saturday litter-pick"
        ),
        "standfirst": (
            "For six years, Ada Nwosu-Grant has led a group of volunteers around Wennmouth "
            "with grabbers and bin bags. She talks about what they find and why she keeps going."
        ),
        "type": "interview",
        "section": "local",
        "authors": ["owen"],
        "tags": ["volunteering", "community", "environment"],
        "days_ago": 8.1,
        "motif": "river",
        "hero_alt": "An illustrated riverside scene with a low sun",
        "hero_caption": "The group meets every Saturday at the Quay Street bandstand.",
        "body": [
            paragraph(
                "Every Saturday at nine, a small crowd gathers at the bandstand on Quay Street "
                "with grabbers, hi-vis vests and a roll of bin bags. At its centre is Ada "
                "Nwosu-Grant, a retired pharmacist who started the Wennmouth Litter Pickers "
                "with two friends six years ago. The group now has more than 90 members. We "
                "met her after a morning on the riverside path. This interview has been edited "
                "for length."
            ),
            heading("How did it start?", level="h3"),
            paragraph(
                "I walked the same stretch of river every day when I retired, and every day I "
                "walked past the same crisp packet caught in the same hedge. One day I thought, "
                "this is ridiculous, and I went home and got a bag. The next week two friends "
                "came with me. It grew from there, mainly because people saw us and asked if "
                "they could join."
            ),
            heading("What do you find?", level="h3"),
            paragraph(
                "Mostly the things you would expect: drinks cans, sweet wrappers, takeaway "
                "boxes. Far fewer plastic bags than when we started. Every so often something "
                "odd, like a traffic cone halfway up a tree, or a garden gnome sitting on a "
                "bench as if it were waiting for a bus. We keep a list of the strangest finds. "
                "It is very long."
            ),
            pull_quote(
                "You learn a street by sweeping it. You notice which bins overflow, which "
                "corners the wind blows everything into."
            ),
            heading("Why do you keep going?", level="h3"),
            paragraph(
                "Partly because it makes a difference you can see. You finish a morning and "
                "the path looks better. But mostly because of the people. We have teenagers "
                "doing their volunteering awards, people who have just moved to the town, "
                "people who are lonely and like a chat. You learn a street by sweeping it. You "
                "notice which bins overflow, which corners the wind blows everything into, and "
                "you tell the council."
            ),
            statistic(
                "2,300",
                "bags of litter collected by the group since it began",
                "Wennmouth Litter Pickers' records",
            ),
            heading("Does the council listen?", level="h3"),
            paragraph(
                "More than it used to. We send them a monthly note of the problem spots, and "
                "they have moved bins and added a couple of new ones because of it. I would "
                "not say we have solved anything. But we are part of how the town looks after "
                "itself now, and that feels good."
            ),
            heading("What would you say to someone thinking of joining?", level="h3"),
            paragraph(
                "Come once. You do not need to sign up or bring anything, and you can leave "
                "whenever you like. Most people who come once come back, and it is not because "
                "of the litter. It is the biscuits, if I am honest, and the conversation."
            ),
            callout(
                "Join the litter-pick",
                [
                    "Saturdays at 9am, Quay Street bandstand",
                    "Equipment provided; children welcome with an adult",
                    "Routes are chosen to suit all abilities",
                ],
                tone="key",
            ),
        ],
        "sources": [],
    },
    {
        "slug": "parents-raise-money-for-playground",
        "title": "Parents raise £8,000 in a term for a new school playground",
        "standfirst": (
            "Cake sales, a sponsored walk and a quiz night at Northgate Primary paid for "
            "climbing equipment that pupils helped to design."
        ),
        "type": "news",
        "section": "local",
        "authors": ["owen"],
        "tags": ["schools", "community", "fundraising"],
        "days_ago": 9.4,
        "motif": "shapes",
        "hero_alt": "Playful overlapping circles in bright colours",
        "hero_caption": "The new equipment will be installed over the half-term holiday.",
        "body": [
            paragraph(
                "Parents at Northgate Primary School have raised £8,000 in a single term to "
                "replace the school's worn-out playground equipment. The new climbing frame "
                "and balance trail, chosen with help from the pupils, will be installed over "
                "the half-term holiday."
            ),
            paragraph(
                "The old wooden frame was taken out of use last year after an inspection found "
                "rot in several of its posts. The school's budget could not cover a "
                "replacement, so the parents' association set itself a target and a deadline."
            ),
            paragraph(
                "The school, which has 210 pupils, sits on a tight site with one playground for "
                "all year groups. Staff said the lack of climbing equipment had led to more "
                "crowding at break times, and to more minor accidents as children found their "
                "own things to climb on. The parents' association's chair said that was what "
                "persuaded many families to get involved."
            ),
            heading("A term of fundraising"),
            paragraph(
                "The money came from fortnightly cake sales, a sponsored walk along the "
                "riverside path in which 140 children took part, a quiz night at the cricket "
                "club and a raffle with prizes donated by shops on the high street. A local "
                "builders' merchant offered to match the last £1,000 raised."
            ),
            statistic(
                "£8,000",
                "raised by Northgate Primary's parents' association in one term",
                "Northgate Primary parents' association",
            ),
            block_quote(
                "We thought it would take a year. The children got so involved, drawing "
                "designs and counting the money each week, that it became the thing "
                "everyone talked about at the school gate.",
                "Harriet Voss",
                "Treasurer, Northgate Primary parents' association",
            ),
            heading("Designed by pupils"),
            paragraph(
                "Each class was asked to draw the playground it would like. The school council "
                "then picked out the ideas that came up most often: somewhere to climb, "
                "something to balance on, and somewhere quiet to sit. The supplier used the "
                "drawings to plan the layout, which includes a ring of log seats around a "
                "young tree."
            ),
            pull_quote("Somewhere to climb, something to balance on, and somewhere quiet to sit."),
            paragraph(
                "The headteacher, Mr Okonjo, said the project had taught the children as much "
                "as any lesson. Year 6 pupils kept the fundraising accounts as part of their "
                "maths work and presented them to the governors at the end of term."
            ),
            paragraph(
                "Any money left over after installation will go towards a covered outdoor "
                "classroom, which the parents' association hopes to build next year."
            ),
        ],
        "sources": [
            (
                "Northgate Primary newsletter",
                "Northgate Primary School",
                "https://www.example.org/northgate-primary/newsletter",
                5,
            ),
        ],
    },
    {
        "slug": "repair-cafe-hundredth-session",
        "title": "Repair café marks its hundredth session with a record number of fixes",
        "standfirst": (
            "Volunteers at the monthly Wennmouth Repair Café have mended lamps, toasters, "
            "bicycles and one much-loved teddy bear since it began."
        ),
        "type": "news",
        "section": "local",
        "authors": ["gwen", "owen"],
        "tags": ["community", "volunteering", "environment"],
        "days_ago": 10.3,
        "motif": "skyline",
        "hero_alt": "A stylised skyline with many small lit windows",
        "hero_caption": "The repair café meets on the last Saturday of every month.",
        "body": [
            paragraph(
                "The Wennmouth Repair Café held its hundredth session at St Anne's church hall "
                "on Saturday, and its volunteers marked the occasion by fixing 61 items in a "
                "single afternoon, the most they have ever managed."
            ),
            paragraph(
                "The café runs on the last Saturday of each month. Anyone can bring a broken "
                "item and sit with a volunteer while they try to repair it together. There is "
                "no charge, though most people leave a donation for the tea and cake."
            ),
            paragraph(
                "The hundredth session had a celebratory air, with bunting in the hall, a cake "
                "in the shape of a toaster and a display of photographs from the early days, "
                "when the volunteers worked from a single trestle table with a borrowed "
                "toolbox."
            ),
            heading("What gets fixed"),
            paragraph(
                "Lamps and small kitchen appliances are the most common items, followed by "
                "clothes, bicycles and laptops. The volunteers keep a record of every repair, "
                "and their figures show that about seven in ten items leave the hall working "
                "again."
            ),
            statistic(
                "72%",
                "of items brought to the repair café since it began were successfully fixed",
                "Wennmouth Repair Café records",
                "https://www.example.org/wennmouth-repair-cafe/records",
            ),
            block_quote(
                "It is never just about the toaster. People sit with us, watch how it comes "
                "apart, and go away a bit less afraid of a screwdriver. That is the part I "
                "enjoy most.",
                "Bernard Ellery",
                "Volunteer electrician, Wennmouth Repair Café",
            ),
            heading("The teddy bear"),
            paragraph(
                "Asked for their favourite repair, several volunteers named the same one: a "
                "teddy bear brought in by a grandmother who had owned it since she was a "
                "child. Its seams had split and it had lost an eye. A volunteer who works as "
                "a seamstress spent most of an afternoon restitching it and found a matching "
                "button in her own tin."
            ),
            pull_quote("People go away a bit less afraid of a screwdriver."),
            paragraph(
                "The café was started by a small group from the church and the town's "
                "environmental group, inspired by similar schemes elsewhere. It now has 24 "
                "volunteers, including electricians, tailors, a bicycle mechanic and a retired "
                "television engineer."
            ),
            heading("Looking for help"),
            paragraph(
                "The organisers say the café is busier than ever and they would welcome more "
                "volunteers, especially people who can repair laptops and mobile phones. They "
                "are also looking for a second venue so they can run an extra session in the "
                "north of the town."
            ),
            callout(
                "Before you bring something",
                [
                    "Items must be small enough to carry in",
                    "Electrical items are safety-tested after repair",
                    "Bring any spare parts or chargers you have",
                ],
            ),
        ],
        "sources": [
            (
                "Wennmouth Repair Café records",
                "Wennmouth Repair Café",
                "https://www.example.org/wennmouth-repair-cafe/records",
                1,
            ),
        ],
    },
    {
        "slug": "how-to-comment-on-a-planning-application",
        "title": "How to comment on a planning application, and make it count",
        "standfirst": (
            "Planning decisions shape streets for decades. Here is how the process works and "
            "what the committee can and cannot take into account."
        ),
        "type": "explainer",
        "section": "local",
        "authors": ["tom"],
        "tags": ["planning", "explainer", "council"],
        "days_ago": 11.6,
        "motif": "hills",
        "hero_alt": "Illustrated layered hills fading into the distance",
        "hero_caption": "Every application in the district is published online.",
        "body": [
            paragraph(
                "Whether it is a neighbour's extension or a hundred new homes, almost every "
                "building project in the Brannock Vale needs planning permission from the "
                "district council. Anyone can comment on an application, and the council must "
                "consider what people say. But some comments carry far more weight than "
                "others."
            ),
            heading("Finding applications"),
            paragraph(
                "Every application is published on the council's planning portal, where you "
                "can read the plans, drawings and supporting reports. Neighbours who share a "
                "boundary are sent a letter, and larger schemes have notices on lamp posts "
                "near the site. You can also sign up for weekly email alerts for your area."
            ),
            heading("The comment period"),
            paragraph(
                "There is normally a period of 21 days to comment. Comments sent after that "
                "may still be read if a decision has not been made, but it is best not to rely "
                "on it. You can support an application, object to it, or simply make a "
                "comment."
            ),
            callout(
                "What the council can take into account",
                [
                    "The effect on neighbours' light, privacy and outlook",
                    "Traffic, parking and road safety",
                    "The design and how it fits the area",
                    "Noise, flooding and effects on wildlife",
                    "Whether it follows the local plan",
                ],
                tone="key",
            ),
            paragraph(
                "Some things cannot be taken into account, however strongly people feel about "
                "them. These include the effect on property values, loss of a private view, "
                "disputes about boundaries, and the applicant's motives or character."
            ),
            pull_quote(
                "A short comment that explains a specific effect will do more than a long one "
                "that says the scheme is simply unwelcome."
            ),
            heading("Writing a useful comment"),
            paragraph(
                "Officers say the most useful comments are specific. A short comment that "
                "explains a specific effect, such as a window that would look directly into "
                "a garden, or a junction where children cross to school, will do more than a "
                "long one that says the scheme is simply unwelcome. It helps to refer to the "
                "drawings by name or number."
            ),
            heading("Who decides"),
            paragraph(
                "Most applications are decided by council officers under delegated powers. "
                "Larger or controversial ones go to the planning committee, made up of "
                "councillors. An application goes to committee if it receives a set number "
                "of objections or a local councillor asks for it to be heard there."
            ),
            paragraph(
                "At committee, people who have commented can usually register to speak for "
                "three minutes. Only the applicant can appeal against a refusal; neighbours "
                "cannot appeal against an approval, though they can ask for a legal review "
                "if they believe the council made an error in the process."
            ),
        ],
        "sources": [
            (
                "Planning portal: how to comment",
                "Brannock Vale District Council",
                "https://www.brannockvale.example/planning/how-to-comment",
                60,
            ),
            (
                "A guide to the planning system",
                "Example Planning Advice Service",
                "https://www.example.org/planning-advice/guide",
                300,
            ),
        ],
    },
    {
        "slug": "where-new-homes-have-been-built-analysis",
        "title": "Where the Vale's new homes have been built, and where they have not",
        "standfirst": (
            "Ten years of completions data show most new homes went to three edge-of-town "
            "estates, while the town centre lost more homes than it gained."
        ),
        "type": "analysis",
        "section": "local",
        "authors": ["samir"],
        "tags": ["housing", "planning", "data"],
        "days_ago": 12.4,
        "motif": "skyline",
        "hero_alt": "An illustrated cluster of houses and flats",
        "hero_caption": "Completions data come from the council's annual monitoring reports.",
        "body": [
            paragraph(
                "The Brannock Vale has added 2,640 homes over the last ten years, according to "
                "the district council's own monitoring reports, slightly more than its target. "
                "But when we mapped where those homes were built, a clear pattern emerged: "
                "almost two-thirds were on three large estates at the edges of Wennmouth and "
                "Carrow Bridge."
            ),
            statistic(
                "64%",
                "of new homes in the last decade were built on three edge-of-town estates",
                "Riverside Ledger analysis of housing monitoring reports",
                "https://data.riversideledger.example/housing-completions",
            ),
            paragraph(
                "We used the council's annual monitoring reports, which list every site where "
                "homes were completed, and matched each one to a ward and a settlement. The "
                "figures count homes completed, not homes given planning permission, which is "
                "often a much larger number."
            ),
            heading("The town centre"),
            paragraph(
                "Wennmouth town centre, by contrast, saw a net loss of 14 homes over the same "
                "period. Flats above shops were converted back to storage or offices, and one "
                "block was demolished for a car park extension. Only 31 new homes were built "
                "there, mostly through conversions of empty upper floors."
            ),
            paragraph(
                "This matters because the council's own plan says it wants more people living "
                "in the centre, close to shops, buses and the station. The data suggest that "
                "has not happened yet, though the plan for the former dairy on Station Road "
                "would change the picture if it is approved."
            ),
            heading("Villages"),
            paragraph(
                "In the villages, growth has been slow and uneven. Eight of the district's "
                "nineteen villages had no new homes at all in ten years. Four had small "
                "developments of between ten and thirty homes, usually on the edge of the "
                "village."
            ),
            pull_quote(
                "Eight of the district's nineteen villages had no new homes at all in ten years."
            ),
            heading("Affordable homes"),
            paragraph(
                "About one in five of the new homes counted as affordable, below the 30% the "
                "local plan asks for. The shortfall is mostly explained by smaller sites, which "
                "are not required to include affordable housing, and by two large schemes "
                "where the requirement was reduced after the developer argued it would make "
                "the scheme unviable."
            ),
            callout(
                "How we did this",
                [
                    "We used ten years of the council's published monitoring reports",
                    "Each completed site was matched to a ward and a settlement",
                    "Net figures include homes lost through demolition or conversion",
                    "Our spreadsheet and code are on our data page",
                ],
            ),
            paragraph(
                "We put our findings to the council. A spokesperson said the pattern reflected "
                "where land had been available and that the next local plan would put more "
                "weight on town centre sites. The draft plan is due for consultation later "
                "this year."
            ),
        ],
        "sources": [
            (
                "Housing monitoring reports",
                "Brannock Vale District Council",
                "https://www.brannockvale.example/planning/monitoring",
                90,
            ),
            (
                "Riverside Ledger housing completions data",
                "The Riverside Ledger",
                "https://data.riversideledger.example/housing-completions",
                0,
            ),
        ],
    },
    {
        "slug": "allotment-waiting-list-passes-300",
        "title": "Allotment waiting list passes 300 as town council looks for new land",
        "standfirst": (
            "Some applicants have waited more than four years for a plot; the town council "
            "is considering splitting full plots in half."
        ),
        "type": "news",
        "section": "local",
        "authors": ["owen"],
        "tags": ["gardening", "council", "community"],
        "days_ago": 13.5,
        "motif": "hills",
        "hero_alt": "Soft green illustrated hills with a pale sun",
        "hero_caption": "Wennmouth has four allotment sites with 212 plots between them.",
        "body": [
            paragraph(
                "More than 300 people are now waiting for an allotment in Wennmouth, the town "
                "council has said, and some have been on the list for more than four years. "
                "The council is looking for new land and considering splitting full-size plots "
                "in half when they become vacant."
            ),
            statistic(
                "307",
                "people on Wennmouth's allotment waiting list",
                "Wennmouth Town Council allotments report",
                "https://www.example.org/wennmouth-town-council/allotments",
            ),
            paragraph(
                "The town has four allotment sites with 212 plots between them. Fewer than "
                "twenty become free each year, and the list has more than doubled since the "
                "pandemic, when many people took up growing their own food."
            ),
            paragraph(
                "Applicants currently wait an average of three years and two months for a plot, "
                "according to the report, though the wait varies from site to site. The longest "
                "wait is for the small site at Hollin Green, which is close to the town centre "
                "and rarely has vacancies."
            ),
            heading("Half plots"),
            paragraph(
                "A report to the town council's amenities committee suggests that vacant full "
                "plots be offered as two half plots. Many new allotment holders find a full "
                "plot too much to manage, the report says, and half plots would help the list "
                "move faster."
            ),
            block_quote(
                "A full plot is a serious commitment, and people give up in the first year "
                "when they realise how much work it is. Half plots are a better start for "
                "most people, and they mean we can help twice as many.",
                "Councillor Ruth Aldane",
                "Chair of the amenities committee, Wennmouth Town Council",
            ),
            heading("Looking for land"),
            paragraph(
                "The town council has asked the district council and two local landowners "
                "whether they have land that could be used. One possible site, a field next "
                "to the cemetery, is already owned by the town council but would need a water "
                "supply and a new access track."
            ),
            paragraph(
                "The Wennmouth Allotment Society welcomed the plans but said existing sites "
                "also needed investment, particularly in water troughs and fencing. Its "
                "secretary said several plots had been left unused because of broken water "
                "supplies."
            ),
            pull_quote("Half plots are a better start for most people."),
            heading("Other places to grow"),
            paragraph(
                "While they wait, people on the list are being pointed to the new community "
                "garden on Ferry Lane and to a scheme that matches people who want to grow "
                "with neighbours who have gardens they cannot manage. The scheme has matched "
                "27 pairs so far."
            ),
            paragraph(
                "The amenities committee will decide on the half-plot proposal at its next "
                "meeting. Anyone on the waiting list will be written to before any change is "
                "made."
            ),
        ],
        "sources": [
            (
                "Allotments report to the amenities committee",
                "Wennmouth Town Council",
                "https://www.example.org/wennmouth-town-council/allotments",
                4,
            ),
        ],
    },
    {
        "slug": "twin-town-delegation-river-festival",
        "title": "Delegation from twin town Saint-Aubel joins the river festival",
        "standfirst": (
            "Forty visitors, including a brass band and a school football team, spent a "
            "weekend in Wennmouth as the twinning link marks its fortieth year."
        ),
        "type": "news",
        "section": "world",
        "authors": ["gwen"],
        "tags": ["twinning", "festivals", "community"],
        "days_ago": 14.2,
        "motif": "river",
        "hero_alt": "An illustrated river at dusk with a warm sky",
        "hero_caption": "The twinning link between the two towns began forty years ago.",
        "body": [
            paragraph(
                "A delegation of forty people from Saint-Aubel, Wennmouth's twin town, spent "
                "the weekend in the valley as guests of the river festival. The visitors "
                "included the town's brass band, which played on the quayside on Saturday, "
                "and an under-14 football team that lost narrowly to a Wennmouth side on "
                "Sunday morning."
            ),
            paragraph(
                "The twinning link between the two river towns began forty years ago, when a "
                "group of teachers arranged an exchange between their schools. It has "
                "survived changes of council, several funding cuts and a pandemic, largely "
                "thanks to families who have hosted visitors for decades."
            ),
            paragraph(
                "On Saturday evening, the mayors of both towns planted a tree on the quayside "
                "to mark the anniversary, next to a bench given by Saint-Aubel for the twenty- "
                "fifth. The visitors also toured the new flood defence works at Millbank, a "
                "subject of particular interest in a town that sits on a river of its own."
            ),
            heading("Families at the heart of it"),
            paragraph(
                "Most of the visitors stayed with host families. Some of the pairings go back "
                "generations: one Wennmouth household is now hosting the grandchildren of the "
                "woman who stayed with them on the first exchange."
            ),
            block_quote(
                "The official part is a handshake and a speech. The real twinning happens in "
                "kitchens, over breakfast, when people who do not share a language work out "
                "how to ask for the jam.",
                "Hélène Marceau",
                "President, Saint-Aubel twinning committee",
            ),
            embed(
                "https://video.example/watch/saint-aubel-band-quayside",
                "Saint-Aubel brass band on the quayside",
                "The visiting band's performance at the river festival.",
            ),
            heading("What the link costs"),
            paragraph(
                "The town council gives the Wennmouth Twinning Association a grant of £1,500 a "
                "year, which covers insurance and part of the cost of visits. Families pay "
                "their own travel, and the association raises the rest through a Christmas "
                "market stall and a quiz."
            ),
            pull_quote("The real twinning happens in kitchens, over breakfast."),
            paragraph(
                "The association says membership has fallen since its peak and most of its "
                "hosts are now over sixty. It is trying to attract younger members through "
                "the schools exchange and a new link between the two towns' rowing clubs."
            ),
            heading("Next year"),
            paragraph(
                "A group from Wennmouth will travel to Saint-Aubel next spring for its river "
                "festival. The association is looking for families who would like to take "
                "part, and says no knowledge of French is needed."
            ),
        ],
        "sources": [
            (
                "Wennmouth Twinning Association",
                "Wennmouth Twinning Association",
                "https://www.example.org/wennmouth-twinning",
                2,
            ),
        ],
    },
    {
        "slug": "global-food-prices-and-the-food-bank",
        "title": (
            "From distant harvests to local shelves: how world food prices reach the food bank"
        ),
        "standfirst": (
            "The Vale Food Bank's own records show how shifts in global markets turn up, "
            "months later, as gaps on its shelves in Wennmouth."
        ),
        "type": "analysis",
        "section": "world",
        "authors": ["samir"],
        "tags": ["food bank", "cost of living", "data"],
        "days_ago": 15.3,
        "motif": "shapes",
        "hero_alt": "Abstract overlapping circles in earthy tones",
        "hero_caption": "The food bank shared three years of its stock and donation records.",
        "body": [
            paragraph(
                "When food prices rise around the world, the effects reach the Brannock Vale "
                "by two routes: through what people can afford at the supermarket, and through "
                "what they can afford to give. The Vale Food Bank agreed to share three years "
                "of its stock and donation records with us, and they show both routes at work."
            ),
            heading("Two pressures at once"),
            paragraph(
                "In the months after a rise in the price of staple foods, the food bank saw "
                "two things happen together. The number of food parcels it gave out went up, "
                "and the weight of food donated in its collection points at supermarkets went "
                "down. The gap was filled by cash donations and by buying stock."
            ),
            statistic(
                "38%",
                "rise in food parcels given out over three years",
                "Vale Food Bank records analysed by The Riverside Ledger",
                "https://data.riversideledger.example/food-bank",
            ),
            paragraph(
                "The items that ran short were not random. Cooking oil, tinned fish and rice, "
                "all of which depend on international supply chains, were the first to "
                "disappear from donation bins when prices rose. Locally produced goods, such "
                "as potatoes and milk, were less affected."
            ),
            paragraph(
                "Staff say the records also show a change in who comes for help. The share of "
                "parcels going to households where at least one adult is in work has grown over "
                "the three years, which the food bank links to rising costs rather than falling "
                "incomes."
            ),
            pull_quote(
                "Cooking oil, tinned fish and rice were the first to disappear from donation "
                "bins when prices rose."
            ),
            heading("The delay"),
            paragraph(
                "The records suggest a delay of three to five months between price rises in "
                "the shops and the peak in demand at the food bank. The food bank's manager "
                "said this matched what staff saw: people use up savings and cut back first, "
                "and come for help only when those options have run out."
            ),
            block_quote(
                "Nobody comes to us the week prices go up. They come months later, after "
                "they have tried everything else. By the time it shows up in our figures, it "
                "has been hard for a long time.",
                "Marcus Feld",
                "Manager, Vale Food Bank",
            ),
            heading("What it means for donors"),
            paragraph(
                "The food bank says cash donations go further than food donations when prices "
                "are high, because it can buy in bulk at wholesale prices. But it stresses that "
                "food donations are still welcome, and publishes a list of the items it most "
                "needs each week."
            ),
            callout(
                "About this analysis",
                [
                    "Based on the food bank's monthly records over three years",
                    "Parcel numbers are counts, not numbers of different households",
                    "We compared them with the national index of food prices",
                    "A pattern over time does not prove cause; we describe what we found",
                ],
            ),
        ],
        "sources": [
            (
                "Vale Food Bank monthly records",
                "Vale Food Bank",
                "https://www.example.org/vale-food-bank/records",
                5,
            ),
            (
                "Consumer price index: food",
                "Example Statistics Office",
                "https://www.example.org/statistics/food-prices",
                20,
            ),
        ],
    },
    {
        "slug": "interview-river-scientist-danube",
        "title": (
            "'Every river town faces the same question': a "
            "scientist on what the Brannock can learn abroad"
        ),
        "standfirst": (
            "Dr Ines Korvath grew up in Wennmouth and now studies floodplains across Europe. "
            "She explains why room for the river matters as much as walls."
        ),
        "type": "interview",
        "section": "world",
        "authors": ["rhiannon"],
        "tags": ["flooding", "river brannock", "environment"],
        "days_ago": 16.4,
        "motif": "river",
        "hero_alt": "An illustrated wide river between distant hills",
        "hero_caption": "Dr Korvath's research compares flood schemes on rivers of all sizes.",
        "body": [
            paragraph(
                "Dr Ines Korvath left Wennmouth at eighteen and now leads a research group "
                "studying river floodplains, with projects on rivers from small streams to "
                "some of Europe's largest. She was back in the valley this month to visit "
                "family, and we asked her what the Brannock has in common with the rivers she "
                "studies. This interview has been condensed and edited."
            ),
            heading("Is the Brannock like the big rivers you study?", level="h3"),
            paragraph(
                "In scale, not at all. In the question it poses, exactly. Every river town "
                "faces the same question: how much room do you give the water? For a century "
                "the answer was to build walls and straighten channels so the river moved "
                "through town quickly. That works until it doesn't, and it often moves the "
                "problem to the next town downstream."
            ),
            pull_quote(
                "Every river town faces the same question: how much room do you give the water?"
            ),
            heading("What is the alternative?", level="h3"),
            paragraph(
                "Walls still have a place, especially where homes are already built close to "
                "the river. But the schemes that work best combine them with space upstream: "
                "fields that are allowed to flood, wetlands that hold water back, trees planted "
                "on the slopes. Each one takes a little off the peak, and together they can "
                "take off a lot."
            ),
            heading("What did you make of the Millbank scheme?", level="h3"),
            paragraph(
                "I have only read the public documents, so I would not want to judge it. I "
                "was pleased to see that the plans talk about working with farmers upstream "
                "as a second phase. The walls protect Millbank. The upstream work could help "
                "the whole valley, including villages that no wall will ever protect."
            ),
            block_quote(
                "Natural flood management works best as part of a package, not as a "
                "replacement for engineered defences where people already live close to the "
                "river.",
                "Floodplain Futures research group",
                "Summary of a comparative study of river towns",
                "https://www.example.org/floodplain-futures/summary",
            ),
            heading("What have other towns done that surprised you?", level="h3"),
            paragraph(
                "The ones that impress me most are where residents were involved from the "
                "start. In one town I studied, people living by the river helped decide "
                "where the water should go when it rises. The scheme is not the most "
                "sophisticated, but it is trusted, and when the warnings come people act on "
                "them."
            ),
            heading("Will you come back to work on the Brannock?", level="h3"),
            paragraph(
                "I would love to. My students keep asking why I talk about a river they have "
                "never heard of. Perhaps one day I will bring some of them here and show them."
            ),
        ],
        "sources": [
            (
                "Floodplain Futures: comparative study summary",
                "Floodplain Futures",
                "https://www.example.org/floodplain-futures/summary",
                120,
            ),
        ],
    },
    {
        "slug": "how-town-twinning-works",
        "title": "How town twinning works, and who pays for it",
        "standfirst": (
            "Most towns in the valley have a twin somewhere in Europe. What does the link "
            "involve, and is it still worth it?"
        ),
        "type": "explainer",
        "section": "world",
        "authors": ["gwen"],
        "tags": ["twinning", "explainer"],
        "days_ago": 17.5,
        "motif": "hills",
        "hero_alt": "Illustrated hills in soft evening colours",
        "hero_caption": "Twinning links are usually run by volunteers with a small council grant.",
        "body": [
            paragraph(
                "Drive into almost any town in the Brannock Vale and the sign will tell you "
                "that it is twinned with somewhere. Wennmouth has Saint-Aubel; Carrow Bridge "
                "has a town in the hills of central Europe; even some villages have partners. "
                "But few residents know how these links work or what they cost."
            ),
            heading("Where twinning came from"),
            paragraph(
                "Town twinning grew up after the Second World War, as a way for ordinary "
                "people in countries that had been at war to get to know each other. The "
                "idea was simple: pair towns of a similar size and character, and arrange "
                "visits between their schools, clubs and families."
            ),
            heading("Who runs it"),
            paragraph(
                "In most places, a twinning association run by volunteers does the work. The "
                "town or parish council signs the formal agreement and usually gives a small "
                "grant, but the visits, hosting and fundraising are organised by members. "
                "There is no national body that runs twinning, though there are networks "
                "that offer advice."
            ),
            paragraph(
                "Links are usually formalised with a signed charter, often renewed at "
                "significant anniversaries. The charter is a statement of friendship rather "
                "than a contract, and does not commit either council to spending money."
            ),
            callout(
                "What a twinning association usually does",
                [
                    "Arranges exchange visits, often hosted in family homes",
                    "Links schools, sports clubs, choirs and bands",
                    "Raises money for travel through local events",
                    "Welcomes official delegations at festivals and anniversaries",
                ],
            ),
            heading("Who pays"),
            paragraph(
                "Public money for twinning is usually modest. Wennmouth Town Council gives its "
                "association £1,500 a year, less than a penny per resident per week. Families "
                "generally pay their own travel, and hosting is unpaid. Some school exchanges "
                "are supported by educational grants."
            ),
            statistic(
                "£1,500",
                "annual grant from Wennmouth Town Council to its twinning association",
                "Wennmouth Town Council grants register",
                "https://www.example.org/wennmouth-town-council/grants",
            ),
            pull_quote(
                "Public money for twinning is usually modest: "
                "less than a penny per resident per week."
            ),
            heading("Is it still worth it?"),
            paragraph(
                "Supporters say twinning gives young people their first experience of "
                "another country and builds friendships that last for decades. Critics point "
                "out that associations often struggle to attract younger members and can "
                "become a social club for a small group."
            ),
            paragraph(
                "Both can be true. The associations that are growing tend to be the ones that "
                "have found new reasons for visits: sports tournaments, shared environmental "
                "projects, or links between businesses. The ones that are shrinking are often "
                "still running the programme they started with decades ago."
            ),
            paragraph(
                "If you would like to get involved, your town or parish council will be able "
                "to put you in touch with its twinning association."
            ),
        ],
        "sources": [
            (
                "Wennmouth Town Council grants register",
                "Wennmouth Town Council",
                "https://www.example.org/wennmouth-town-council/grants",
                30,
            ),
        ],
    },
    {
        "slug": "opinion-benches-not-banners",
        "title": "Our high street needs benches more than it needs banners",
        "standfirst": (
            "The council's new town centre plan is full of branding. What older residents "
            "and parents with young children need is somewhere to sit down."
        ),
        "type": "opinion",
        "section": "opinion",
        "authors": ["owen"],
        "tags": ["high street", "town centre", "opinion"],
        "days_ago": 18.6,
        "motif": "skyline",
        "hero_alt": "An illustrated high street of varied buildings",
        "hero_caption": "The town centre plan is open for comments until the end of the month.",
        "body": [
            paragraph(
                "The draft plan for Wennmouth town centre runs to 48 pages and contains the "
                "word 'vibrant' eleven times. It proposes new street banners, a new logo for "
                "the town, and a digital screen at the top of Quay Street showing what is on. "
                "It mentions benches once, in a list of items that may be reviewed in future."
            ),
            paragraph("I would like to suggest that the order be reversed."),
            heading("Somewhere to rest"),
            paragraph(
                "Walk the length of the high street, from the station to the bridge, and you "
                "will pass three benches. One of them is broken. For a fit adult this is no "
                "hardship. For someone in their eighties, or with a bad hip, or pushing a "
                "buggy with a toddler who has decided to stop walking, it is the difference "
                "between coming into town and not coming at all."
            ),
            pull_quote(
                "A bench is the cheapest piece of public infrastructure there is, and one of "
                "the most used."
            ),
            paragraph(
                "A bench is the cheapest piece of public infrastructure there is, and one of "
                "the most used. It keeps people in the town centre longer, which is what the "
                "plan says it wants. It lets people stop and talk. It costs a fraction of a "
                "digital screen and needs no electricity."
            ),
            block_quote(
                "Older residents consistently tell us that the lack of seating and public "
                "toilets is one of the main reasons they visit the town centre less often.",
                "Vale Age Forum",
                "Response to the town centre plan consultation",
                "https://www.example.org/vale-age-forum/town-centre-response",
            ),
            heading("Branding is not nothing"),
            paragraph(
                "I do not want to be unfair to the plan. Some of it is good, particularly the "
                "proposals for wider pavements on Bridge Street and for making empty shops "
                "available for pop-up use. And I understand why the council wants the town to "
                "look cared for. Banners are not a bad idea in themselves."
            ),
            paragraph(
                "But a town does not feel cared for because it has a logo. It feels cared for "
                "when the basics are there: somewhere to sit, somewhere to shelter from the "
                "rain, a public toilet that is open, a bin that is emptied."
            ),
            heading("A modest proposal"),
            paragraph(
                "So here is a suggestion. Before any money is spent on banners, put a bench "
                "every hundred metres along the high street, and fix the broken one. Ask the "
                "Vale Age Forum and the parents at the children's centre where they should go. "
                "Then see whether the town feels more vibrant. I suspect it will."
            ),
            paragraph(
                "The consultation on the plan is open until the end of the month. I would "
                "encourage anyone who agrees, or disagrees, to say so."
            ),
        ],
        "sources": [
            (
                "Draft town centre plan",
                "Wennmouth Town Council",
                "https://www.example.org/wennmouth-town-council/town-centre-plan",
                10,
            ),
            (
                "Response to the town centre plan consultation",
                "Vale Age Forum",
                "https://www.example.org/vale-age-forum/town-centre-response",
                4,
            ),
        ],
    },
    {
        "slug": "opinion-library-sunday-opening",
        "title": "Sunday opening is worth trying, but Monday's library users must not be forgotten",
        "standfirst": (
            "The library's new hours will suit working families. The council now has to "
            "show that the people who relied on Monday mornings still have somewhere to go."
        ),
        "type": "opinion",
        "section": "opinion",
        "authors": ["maya"],
        "tags": ["libraries", "opinion"],
        "days_ago": 19.3,
        "motif": "shapes",
        "hero_alt": "Abstract blue and cream shapes",
        "hero_caption": "The central library will open on Sundays from April.",
        "body": [
            paragraph(
                "The council's decision to open Wennmouth Central Library on Sunday afternoons "
                "is, on balance, a good one. It will let families who work during the week "
                "use the library together, and the consultation showed real demand for it. "
                "But it comes at a cost that is easy to overlook, because the people who bear "
                "it are the least likely to fill in a consultation form."
            ),
            heading("Who uses the library on a Monday"),
            paragraph(
                "Monday mornings at the library are quiet, but they are not empty. Anyone who "
                "has been in will have seen who is there: people using the computers to apply "
                "for jobs or manage benefit claims, often with help from the staff; older "
                "readers who come in for the newspapers and the warmth; people who have "
                "nowhere else to be."
            ),
            pull_quote(
                "The people who bear the cost are the least likely to fill in a consultation form."
            ),
            paragraph(
                "Figures measured in visits per hour make these users look like a small "
                "number. For the people concerned, the library is not one option among many. "
                "It is the option."
            ),
            heading("What the council has promised"),
            paragraph(
                "To its credit, the council has listened to some of these concerns. Computer "
                "sessions will be available on Mondays at the community hub next door, and "
                "the change will be reviewed after six months. These are sensible steps, and "
                "they were added after people raised the issue during the consultation."
            ),
            paragraph(
                "The review is where this will be won or lost. Counting visitors on Sundays "
                "and comparing them with the Monday figures is not enough. The council should "
                "also try to find out what happened to the Monday users: whether they moved to "
                "other days, moved to the hub, or simply stopped coming."
            ),
            block_quote(
                "We support the trial of Sunday opening and will be asking members who used "
                "the library on Mondays to tell us how the change affects them.",
                "Friends of Wennmouth Library",
                "Statement on the new opening hours",
            ),
            heading("Libraries are more than their hours"),
            paragraph(
                "The wider point is that libraries are asked to do more every year: to be "
                "job centres, digital help desks, warm spaces and community halls, as well "
                "as places to borrow books. Rearranging the hours is a sensible response to "
                "a fixed budget. It is not a substitute for funding the service properly."
            ),
            paragraph(
                "We will follow the six-month review and report what it finds. If you used "
                "the library on Mondays and the change affects you, we would like to hear "
                "from you."
            ),
        ],
        "sources": [
            (
                "Library opening hours consultation report",
                "Brannock Vale District Council",
                "https://www.brannockvale.example/libraries/consultation",
                25,
            ),
        ],
    },
    {
        "slug": "opinion-film-council-meetings",
        "title": "Every council meeting should be filmed, and kept online",
        "standfirst": (
            "The district streams its full council meetings but not its committees, where "
            "most decisions are really made. That should change."
        ),
        "type": "opinion",
        "section": "opinion",
        "authors": ["tom"],
        "tags": ["council", "democracy", "opinion"],
        "days_ago": 21.2,
        "motif": "skyline",
        "hero_alt": "An illustrated civic building among other buildings",
        "hero_caption": "Committee meetings are open to the public but not recorded.",
        "body": [
            paragraph(
                "I spend a lot of evenings in the public gallery at the district council "
                "offices. Often I am the only person there. That is not because nobody cares "
                "what the council does: it is because most people cannot give up an evening "
                "at short notice to sit in a committee room on the edge of town."
            ),
            paragraph(
                "The council already streams its full meetings online, and the recordings "
                "are watched hundreds of times. But full council mostly confirms decisions "
                "made elsewhere. The detailed work, and most of the real argument, happens in "
                "committees: planning, licensing, scrutiny. None of those are filmed."
            ),
            paragraph(
                "I should declare an interest: recordings would make my job easier. But they "
                "would make it easier for everyone else as well, and that is the point."
            ),
            pull_quote(
                "The detailed work, and most of the real argument, happens in committees. "
                "None of those are filmed."
            ),
            heading("The cost is small"),
            paragraph(
                "When I asked why, I was told it was a question of cost and equipment. The "
                "committee rooms do not have cameras. But the equipment needed to stream a "
                "meeting is now cheap, and several nearby councils do it with a single fixed "
                "camera and the existing microphones."
            ),
            statistic(
                "£4,200",
                "estimated one-off cost of equipping two committee rooms for streaming",
                "Report to the council's governance committee",
                COUNCIL_PAPERS + "/governance/streaming",
            ),
            paragraph(
                "That figure comes from the council's own report, written two years ago and "
                "never acted on. Set against a budget of £38m, it is a rounding error."
            ),
            heading("Why it matters"),
            paragraph(
                "Recordings are not just for journalists. They let residents who commented on "
                "a planning application see how it was discussed. They let councillors show "
                "what they said, rather than relying on brief minutes. And they create a "
                "public record that anyone can check, which is good for everyone, including "
                "the council."
            ),
            block_quote(
                "Members are committed to openness and will consider options for recording "
                "committee meetings as part of the next review of the constitution.",
                "Brannock Vale District Council",
                "Response to a question from The Riverside Ledger",
            ),
            heading("What should happen"),
            paragraph(
                "The review of the constitution is due this year. I would like to see it "
                "commit to streaming and recording every meeting that is open to the public, "
                "and to keeping the recordings online for at least four years, the length of "
                "a council term."
            ),
            paragraph(
                "Until then, the public gallery remains open, and I will keep my seat in it. "
                "But a democracy that depends on one reporter being in the room is more "
                "fragile than it needs to be."
            ),
        ],
        "sources": [
            (
                "Report to the governance committee on streaming",
                "Brannock Vale District Council",
                COUNCIL_PAPERS + "/governance/streaming",
                700,
            ),
        ],
    },
    {
        "slug": "editors-letter-why-we-publish-our-sources",
        "title": "Editor's letter: why we publish our sources, and our mistakes",
        "standfirst": (
            "Every article on this site now ends with a list of the documents we relied on. "
            "Here is why, and how to hold us to it."
        ),
        "type": "opinion",
        "section": "opinion",
        "authors": ["maya"],
        "tags": ["about us", "opinion", "journalism"],
        "days_ago": 23.5,
        "motif": "shapes",
        "hero_alt": "Abstract shapes in deep blue and gold",
        "hero_caption": "Our corrections page lists every change we make to an article.",
        "body": [
            paragraph(
                "If you read to the bottom of an article on this site, you will now find a "
                "list of sources: the council reports, datasets and statements the story "
                "relies on, with links wherever we can give them. I want to explain why we "
                "have started doing this, and what it means for how you can hold us to "
                "account."
            ),
            heading("Show your workings"),
            paragraph(
                "When I was at school, maths teachers insisted that we show our workings. The "
                "answer mattered, but so did how you got there, because that was how mistakes "
                "could be found and fixed. Journalism has not always worked that way. Too "
                "often, readers are asked simply to trust us."
            ),
            pull_quote("Readers are too often asked simply to trust us. We would rather show you."),
            paragraph(
                "We would rather show you. Most of what we report on comes from public "
                "documents, and there is no good reason not to link to them. If we say the "
                "council's reserves are falling, you should be able to read the report that "
                "says so and judge whether we have described it fairly."
            ),
            heading("When we get it wrong"),
            paragraph(
                "We will make mistakes. When we do, we will correct the article, add a note "
                "at the bottom saying what was changed and when, and list the correction on "
                "our corrections page. We do not quietly edit articles to make errors "
                "disappear."
            ),
            callout(
                "How to hold us to account",
                [
                    "Check the sources listed at the end of each article",
                    "Tell us about errors: corrections@riversideledger.example",
                    "Read every correction we have made on our corrections page",
                    "Read our editorial standards to see what we promise",
                ],
                tone="key",
            ),
            heading("Why it matters to a small newsroom"),
            paragraph(
                "We are a small organisation funded by our readers. We do not have a famous "
                "name or a century of history to lean on. The only thing that makes our "
                "journalism worth paying for is that it is reliable, and the best way to show "
                "that is to let you check it."
            ),
            paragraph(
                "Publishing our sources also keeps us honest with ourselves. When a reporter "
                "knows that every claim will sit beside a link, they check the link. That "
                "habit has already caught several errors before publication."
            ),
            block_quote(
                "Transparency about sources and corrections is one of the strongest signals "
                "of trustworthiness available to a news organisation.",
                "Example Institute for Local News",
                "Report on trust in local journalism",
                "https://www.example.org/local-news-institute/trust",
            ),
            paragraph(
                "Thank you for reading, and for supporting us. If you have thoughts on how we "
                "could be more open, I would like to hear them."
            ),
        ],
        "sources": [
            (
                "Report on trust in local journalism",
                "Example Institute for Local News",
                "https://www.example.org/local-news-institute/trust",
                150,
            ),
        ],
    },
    {
        "slug": "wharf-theatre-autumn-season",
        "title": "Wharf Theatre announces autumn season with two new plays by local writers",
        "standfirst": (
            "The 180-seat theatre will also stage a touring opera, a family show and its "
            "first relaxed performances for audiences who need a calmer setting."
        ),
        "type": "news",
        "section": "culture",
        "authors": ["gwen"],
        "tags": ["theatre", "arts"],
        "days_ago": 24.3,
        "motif": "shapes",
        "hero_alt": "Abstract overlapping shapes in deep red and cream",
        "hero_caption": "Tickets for the autumn season go on sale next month.",
        "body": [
            paragraph(
                "The Wharf Theatre has announced its autumn season, which includes two new "
                "plays by writers from the Brannock Vale, a touring production of a comic "
                "opera and a family show for the Christmas holidays. Tickets go on sale next "
                "month, with members able to book a week early."
            ),
            heading("New writing"),
            paragraph(
                "The theatre, a converted warehouse on the quay, reopened five years ago after "
                "a refurbishment funded largely by local donations. It now stages around a "
                "hundred performances a year and runs a youth theatre with sixty members, "
                "several of whom will appear in the Christmas show."
            ),
            paragraph(
                "The season opens with The Lock-Keeper's Daughter, a play set on the canal in "
                "the 1950s by Wennmouth writer Sian Prothero. It follows a family deciding "
                "whether to stay on the water as the last working boats disappear. It will be "
                "followed in November by Quiet Carriage, a two-hander comedy about strangers "
                "on a delayed train, by first-time playwright Dev Marlow."
            ),
            block_quote(
                "We want the Wharf to be the place where stories from this valley are told "
                "first. Both of these plays could only have been written here, and both of "
                "them will travel.",
                "Joanna Cresswell",
                "Artistic director, Wharf Theatre",
            ),
            heading("Opera and a family show"),
            paragraph(
                "A touring company will bring a comic opera for three nights in October, sung "
                "in English with a chamber orchestra. At Christmas, the theatre's own company "
                "will stage a new version of a traditional winter tale, with songs written "
                "with pupils from two local primary schools."
            ),
            statistic(
                "71%",
                "average audience for the Wharf's last season, as a share of seats available",
                "Wharf Theatre annual review",
                "https://www.example.org/wharf-theatre/annual-review",
            ),
            heading("Relaxed performances"),
            paragraph(
                "For the first time, one performance of each show will be a relaxed "
                "performance, with the house lights kept low rather than off, no sudden loud "
                "sounds, and a quiet space outside the auditorium. The theatre says these are "
                "designed for people with autism, learning disabilities or anxiety, and for "
                "anyone who would find a traditional performance difficult."
            ),
            pull_quote(
                "Both of these plays could only have been "
                "written here, and both of them will travel."
            ),
            paragraph(
                "The theatre is also keeping its pay-what-you-can tickets for the first "
                "preview of every production, which it introduced last year. About a fifth of "
                "those who used them had not been to the Wharf before, it says."
            ),
            callout(
                "Booking",
                [
                    "Members' priority booking opens a week before general sale",
                    "Pay-what-you-can tickets for the first preview of every show",
                    "Wheelchair spaces and companion tickets available for every performance",
                ],
                tone="key",
            ),
        ],
        "sources": [
            (
                "Autumn season announcement",
                "Wharf Theatre",
                "https://www.example.org/wharf-theatre/autumn-season",
                1,
            ),
            (
                "Wharf Theatre annual review",
                "Wharf Theatre",
                "https://www.example.org/wharf-theatre/annual-review",
                80,
            ),
        ],
    },
    {
        "slug": "interview-bus-depot-choir",
        "title": "The choir that rehearses in a bus depot",
        "standfirst": (
            "Every Tuesday night, sixty singers gather between the parked buses at the "
            "Valley Connect depot. Their director explains how it began."
        ),
        "type": "interview",
        "section": "culture",
        "authors": ["gwen"],
        "tags": ["music", "choirs", "community"],
        "days_ago": 25.6,
        "motif": "skyline",
        "hero_alt": "An illustrated row of tall buildings with lit windows at night",
        "hero_caption": "The Depot Singers rehearse in the workshop after the last buses return.",
        "body": [
            paragraph(
                "The Depot Singers began six years ago as a group of bus drivers who sang "
                "together in the canteen at the end of their shifts. Today the choir has "
                "sixty members, most of whom have never driven a bus, and it still rehearses "
                "in the depot workshop on Tuesday nights. Its musical director, Kofi "
                "Lindqvist, spoke to us during a break. The interview has been edited for "
                "length."
            ),
            heading("Why a bus depot?", level="h3"),
            paragraph(
                "Because that is where it started, and because the acoustics are wonderful. "
                "A workshop with a high metal roof is like a cathedral, if the cathedral "
                "smelled slightly of diesel. The company lets us use it free of charge, and "
                "we sing at their staff events in return."
            ),
            heading("Who sings with you?", level="h3"),
            paragraph(
                "Anyone who wants to. We do not audition and we do not ask people to read "
                "music. We have drivers and mechanics, a couple of nurses from the hospital, "
                "students, retired teachers, and a fourteen-year-old who comes with his "
                "grandmother. We learn everything by ear, a line at a time."
            ),
            pull_quote(
                "A workshop with a high metal roof is like a cathedral, if the cathedral "
                "smelled slightly of diesel."
            ),
            heading("What do you sing?", level="h3"),
            paragraph(
                "Everything. Folk songs, gospel, pop songs I have arranged for four parts, "
                "a few pieces in languages none of us speak. The rule is that every song has "
                "to have a part that a complete beginner can sing on their first night."
            ),
            embed(
                "https://video.example/watch/depot-singers-rehearsal",
                "The Depot Singers in rehearsal",
                "A short film of a Tuesday night rehearsal, made by a choir member.",
            ),
            heading("Has the choir changed people?", level="h3"),
            paragraph(
                "I think it has changed me most. But people tell me things. One driver said "
                "he had not sung since school and now sings on his routes when the bus is "
                "empty. Several members came after a bereavement and said it was the first "
                "place they felt normal again. Singing together does something that is hard "
                "to explain and easy to feel."
            ),
            heading("What is next?", level="h3"),
            paragraph(
                "We are singing at the river festival again, and we have been invited to sing "
                "with a choir in Saint-Aubel next spring, which will be our first trip "
                "abroad. A few members have never been on a plane. We are taking the bus to "
                "the airport, of course."
            ),
            callout(
                "Join the Depot Singers",
                [
                    "Tuesdays, 7.30pm to 9pm, Valley Connect depot, Mill Road",
                    "No audition and no need to read music",
                    "First three sessions free, then £3 a week or whatever you can afford",
                ],
                tone="key",
            ),
        ],
        "sources": [],
    },
    {
        "slug": "river-festival-figures-analysis",
        "title": "Counting the crowd: what the river festival's figures tell us",
        "standfirst": (
            "Organisers say 18,000 people came to this year's festival. We looked at how that "
            "number is reached, and what the survey of visitors found."
        ),
        "type": "analysis",
        "section": "culture",
        "authors": ["samir", "gwen"],
        "tags": ["festivals", "data", "arts"],
        "days_ago": 27.2,
        "motif": "river",
        "hero_alt": "An illustrated river reflecting a warm evening sky",
        "hero_caption": "The festival runs along both banks of the river over two days.",
        "body": [
            paragraph(
                "The organisers of the Brannock River Festival say 18,000 people attended this "
                "year's event, a record. It is a figure that will appear in funding "
                "applications and council reports for years to come, so we asked how it was "
                "reached and what else the organisers know about who came."
            ),
            heading("How do you count a free festival?"),
            paragraph(
                "The festival has no tickets and no gates, so nobody can count visitors "
                "directly. The organisers used three methods: volunteers with clickers at the "
                "four main entrances for sample periods, counts of people in the main areas "
                "at set times, and the number of people using the temporary bridge across the "
                "river, which has a counter."
            ),
            statistic(
                "18,000",
                "estimated visits over the festival weekend",
                "Brannock River Festival evaluation report",
                "https://www.example.org/brannock-river-festival/evaluation",
            ),
            paragraph(
                "These methods are reasonable and widely used. But the figure is an estimate "
                "of visits, not of people. Someone who came on both days, or left and came "
                "back, is counted more than once. The organisers' own visitor survey suggests "
                "around a third of people came on both days, so the number of different "
                "people was probably closer to 13,000 or 14,000."
            ),
            pull_quote("The figure is an estimate of visits, not of people."),
            heading("Who came"),
            paragraph(
                "The visitor survey, completed by 640 people, found that about two-thirds "
                "lived in the Brannock Vale, and most of the rest came from elsewhere in the "
                "county. Families with children made up almost half of visitors, and the most "
                "popular events were the raft race and the evening concert on the quay."
            ),
            picture(
                "festival-inline",
                "Abstract shapes suggesting lanterns over water",
                "The evening lantern procession was the most photographed moment of the weekend.",
                motif="shapes",
            ),
            heading("Money spent in town"),
            paragraph(
                "The evaluation report estimates that visitors spent £410,000 in the town over "
                "the weekend. This figure comes from multiplying the average spend reported in "
                "the survey by the number of visits, so it carries the same double-counting "
                "problem. It also includes spending that might have happened in the town "
                "anyway."
            ),
            callout(
                "Reading festival figures",
                [
                    "Visits are not the same as visitors",
                    "Spending estimates depend on survey answers, which are approximate",
                    "Ask whether the spending would have happened anyway",
                    "Trends from year to year matter more than one headline figure",
                ],
            ),
            heading("What it adds up to"),
            paragraph(
                "None of this means the festival was not a success. Attendance has grown "
                "every year on every measure the organisers use, and local businesses we "
                "spoke to reported one of their busiest weekends. The organisers said they "
                "would publish both the visits and the estimated number of different people "
                "in future reports."
            ),
        ],
        "sources": [
            (
                "Brannock River Festival evaluation report",
                "Brannock River Festival",
                "https://www.example.org/brannock-river-festival/evaluation",
                3,
            ),
        ],
    },
    {
        "slug": "how-arts-grants-work",
        "title": "Explained: how the district's small arts grants work",
        "standfirst": (
            "Grants of up to £2,000 are open to community groups and individual artists. "
            "Here is who can apply, what they pay for and how decisions are made."
        ),
        "type": "explainer",
        "section": "culture",
        "authors": ["gwen"],
        "tags": ["arts", "explainer", "council"],
        "days_ago": 28.8,
        "motif": "hills",
        "hero_alt": "Illustrated hills in purple and rose tones",
        "hero_caption": "The next round of small arts grants closes at the end of the month.",
        "body": [
            paragraph(
                "Every year the district council gives out around forty small grants to arts "
                "projects across the Brannock Vale. The money pays for things like a "
                "village's first exhibition, a choir's new music, or a workshop series in a "
                "care home. The next round is now open."
            ),
            heading("Who can apply"),
            paragraph(
                "The scheme has run for more than fifteen years. Past grants have paid for a "
                "mural in a bus shelter, a series of concerts in village halls, a local history "
                "exhibition and a dance project for people with Parkinson's disease."
            ),
            paragraph(
                "Community groups, charities and individual artists based in the district can "
                "apply. Groups do not need to be registered charities, but they need a bank "
                "account in the group's name with two signatories. Schools and the council's "
                "own services cannot apply, because they have other sources of funding."
            ),
            statistic(
                "£64,000",
                "awarded in small arts grants across the district last year",
                "Arts grants annual summary",
                "https://www.brannockvale.example/arts/grants-summary",
            ),
            heading("What the grants pay for"),
            paragraph(
                "Grants of between £200 and £2,000 can cover artists' fees, materials, venue "
                "hire, equipment and publicity. They cannot pay for work that has already "
                "happened, for food and drink, or for a group's normal running costs such as "
                "rent. Projects must be open to the public or benefit a community in the "
                "district."
            ),
            callout(
                "Before you apply",
                [
                    "Read the guidance notes and check the closing date",
                    "Have a simple budget showing what the money is for",
                    "Say who will take part and how you will reach them",
                    "Ask for a call with the arts officer if you are unsure",
                ],
                tone="help",
            ),
            heading("How decisions are made"),
            paragraph(
                "Applications are scored by a panel of three council officers and two "
                "volunteers from the local arts network. They look at how many people a "
                "project will reach, whether it involves people who do not usually take part "
                "in the arts, and whether the budget is realistic. Decisions are published "
                "within six weeks of the closing date."
            ),
            pull_quote(
                "The panel looks for projects that involve people who do not usually take "
                "part in the arts."
            ),
            paragraph(
                "About half of applications are successful. The council says the most common "
                "reason for refusal is an unclear budget, and that first-time applicants are "
                "encouraged to speak to the arts officer before applying."
            ),
            heading("After the grant"),
            paragraph(
                "Successful applicants are asked for a short report and a few photographs "
                "when the project is finished. The council publishes a summary of every "
                "grant it gives, including the amount and what it paid for, on its website."
            ),
        ],
        "sources": [
            (
                "Small arts grants guidance",
                "Brannock Vale District Council",
                "https://www.brannockvale.example/arts/grants",
                14,
            ),
            (
                "Arts grants annual summary",
                "Brannock Vale District Council",
                "https://www.brannockvale.example/arts/grants-summary",
                150,
            ),
        ],
    },
]
